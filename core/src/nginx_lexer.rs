//! A model of nginx's configuration tokenizer (`ngx_conf_read_token` in nginx 1.22),
//! used to prove that text NSM did not write (a Custom resource's body) cannot close
//! a block NSM opened, and by tests to read rendered configs back as nginx would.
//!
//! The quirks that matter, all mirrored here: `#` starts a comment only at the start
//! of a token; `}` closes a block only at the start of a token with no directive
//! pending (`foo}` is one word); `{` right after `$` belongs to a `${var}` word;
//! inside quotes a backslash skips the next character whatever it is; a closing quote
//! must be followed by a space, `;`, `{` or `)`.

/// One token as nginx sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// A directive name or argument, quotes removed, escapes kept as written.
    Word(String),
    /// `;`
    End,
    /// `{`
    Open,
    /// `}`, with its line number (1-based) for error messages.
    Close(usize),
}

/// Text nginx itself would refuse to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LexError {
    #[error("unexpected \"{ch}\" on line {line}")]
    Unexpected { ch: char, line: usize },
    #[error("a quoted string is not closed")]
    UnclosedQuote,
    #[error("the text ends with a backslash")]
    TrailingBackslash,
}

/// Splits `text` into tokens, or fails where nginx would.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, LexError> {
    let mut lexer = Lexer { line: 1, last_space: true, ..Lexer::default() };
    for ch in text.chars() {
        lexer.feed(ch)?;
    }
    lexer.finish()
}

#[derive(Default)]
struct Lexer {
    tokens: Vec<Token>,
    word: String,
    /// Words of the directive being read; `;`/`{` need some, `}` needs none.
    args: usize,
    line: usize,
    last_space: bool,
    need_space: bool,
    comment: bool,
    escaped: bool,
    variable: bool,
    quote: Option<char>,
}

impl Lexer {
    fn feed(&mut self, ch: char) -> Result<(), LexError> {
        if ch == '\n' {
            self.line += 1;
            // nginx ends the comment and then reads the line feed as a space.
            self.comment = false;
        }
        if self.comment {
            return Ok(());
        }
        if self.escaped {
            self.escaped = false;
            self.word.push(ch);
            return Ok(());
        }
        if self.need_space {
            match ch {
                c if is_space(c) => {
                    self.need_space = false;
                    self.last_space = true;
                    return Ok(());
                }
                ';' => return self.punctuation(Token::End),
                '{' => return self.punctuation(Token::Open),
                ')' => {
                    self.need_space = false;
                    self.last_space = true;
                }
                _ => return Err(self.unexpected(ch)),
            }
        }
        if self.last_space {
            return self.token_start(ch);
        }
        self.in_word(ch)
    }

    fn token_start(&mut self, ch: char) -> Result<(), LexError> {
        match ch {
            c if is_space(c) => {}
            ';' => return self.punctuation(Token::End),
            '{' => return self.punctuation(Token::Open),
            '}' => {
                if self.args != 0 {
                    return Err(self.unexpected(ch));
                }
                self.tokens.push(Token::Close(self.line));
                self.reset();
            }
            '#' => self.comment = true,
            '\\' => {
                self.word.push(ch);
                self.escaped = true;
                self.last_space = false;
            }
            '"' | '\'' => {
                self.quote = Some(ch);
                self.last_space = false;
            }
            '$' => {
                self.word.push(ch);
                self.variable = true;
                self.last_space = false;
            }
            _ => {
                self.word.push(ch);
                self.last_space = false;
            }
        }
        Ok(())
    }

    fn in_word(&mut self, ch: char) -> Result<(), LexError> {
        if ch == '{' && self.variable {
            self.word.push(ch);
            return Ok(());
        }
        self.variable = false;
        if ch == '\\' || ch == '$' {
            self.word.push(ch);
            self.escaped = ch == '\\';
            self.variable = ch == '$';
            return Ok(());
        }
        let found = match self.quote {
            Some(q) if ch == q => {
                self.quote = None;
                self.need_space = true;
                true
            }
            Some(_) => false,
            None if is_space(ch) || ch == ';' || ch == '{' => {
                self.last_space = true;
                true
            }
            None => false,
        };
        if !found {
            self.word.push(ch);
            return Ok(());
        }
        self.push_word();
        match ch {
            ';' => self.punctuation(Token::End),
            '{' => self.punctuation(Token::Open),
            _ => Ok(()),
        }
    }

    /// `;` or `{`: ends the directive being read, which must have a name.
    fn punctuation(&mut self, token: Token) -> Result<(), LexError> {
        if self.args == 0 {
            let ch = if token == Token::End { ';' } else { '{' };
            return Err(self.unexpected(ch));
        }
        self.tokens.push(token);
        self.reset();
        Ok(())
    }

    fn push_word(&mut self) {
        self.tokens.push(Token::Word(std::mem::take(&mut self.word)));
        self.args += 1;
    }

    fn reset(&mut self) {
        self.args = 0;
        self.last_space = true;
        self.need_space = false;
        self.variable = false;
        self.quote = None;
    }

    fn unexpected(&self, ch: char) -> LexError {
        LexError::Unexpected { ch, line: self.line }
    }

    fn finish(mut self) -> Result<Vec<Token>, LexError> {
        if self.escaped {
            return Err(LexError::TrailingBackslash);
        }
        if self.quote.is_some() {
            return Err(LexError::UnclosedQuote);
        }
        if !self.last_space && !self.need_space && !self.comment {
            self.push_word();
        }
        Ok(self.tokens)
    }
}

fn is_space(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '\r' | '\n')
}

/// Why a block body could escape its block or is not a complete body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    #[error(transparent)]
    Syntax(#[from] LexError),
    #[error("the \"}}\" on line {0} would close the location block early")]
    ClosesEarly(usize),
    #[error("a \"{{\" is not closed: add the matching \"}}\"")]
    Unclosed,
    #[error("the last directive is missing its \";\"")]
    MissingSemicolon,
}

/// Checks that `body`, written between `{` + newline and newline + `}`, stays inside
/// that block: every block it opens it closes, and it ends between directives.
pub(crate) fn check_block_body(body: &str) -> Result<(), BodyError> {
    let tokens = tokenize(body)?;
    let mut depth = 0usize;
    for token in &tokens {
        match token {
            Token::Open => depth += 1,
            Token::Close(line) => depth = depth.checked_sub(1).ok_or(BodyError::ClosesEarly(*line))?,
            Token::Word(_) | Token::End => {}
        }
    }
    if depth > 0 {
        return Err(BodyError::Unclosed);
    }
    if matches!(tokens.last(), Some(Token::Word(_))) {
        return Err(BodyError::MissingSemicolon);
    }
    Ok(())
}
