//! Custom bodies act within their location only: directives that touch the node's
//! files, sockets, TLS or run code are refused by name, as is anything unlisted.

use crate::domain::CustomBody;

fn refused(body: &str) -> String {
    match CustomBody::parse(body) {
        Ok(_) => panic!("{body:?} should be refused"),
        Err(error) => error.0,
    }
}

#[test]
fn everyday_location_bodies_are_accepted() {
    for ok in [
        "proxy_pass http://127.0.0.1:8080;\nproxy_set_header Host $host;",
        "proxy_pass http://backend.internal:9000$request_uri;",
        "grpc_pass grpc://127.0.0.1:50051;",
        "fastcgi_pass 127.0.0.1:9000;\nfastcgi_param SCRIPT_FILENAME /app/index.php;",
        "add_header Cache-Control \"no-store\" always;\nexpires 1h;",
        "rewrite ^/old/(.*)$ /new/$1 permanent;",
        "limit_except GET { deny all; }",
        "if ($http_user_agent ~* bot) { return 403; }",
        "location /x/ { try_files $uri $uri/ =404; }",
        "allow 10.0.0.0/8;\ndeny all;",
        "gzip on;\ngzip_types text/css application/json;",
        "client_max_body_size 10m;\nproxy_read_timeout 300s;",
        "error_page 404 /404.html;\nreturn 404;",
        "\"return\" 204;",
    ] {
        assert!(CustomBody::parse(ok).is_ok(), "{ok:?}: {:?}", CustomBody::parse(ok));
    }
}

#[test]
fn directives_acting_on_the_node_are_refused_by_name() {
    for (body, directive) in [
        ("access_log /etc/nsm-owned.log;", "access_log"),
        ("error_log /tmp/x.log debug;", "error_log"),
        ("alias /etc/;", "alias"),
        ("root /;", "root"),
        ("include /etc/passwd;", "include"),
        ("\"include\" /etc/passwd;", "include"),
        ("load_module /tmp/evil.so;", "load_module"),
        ("ssl_certificate /etc/ssl/x.pem;", "ssl_certificate"),
        ("proxy_ssl_certificate_key /etc/ssl/k.pem;", "proxy_ssl_certificate_key"),
        ("proxy_ssl_trusted_certificate /etc/ssl/ca.pem;", "proxy_ssl_trusted_certificate"),
        ("content_by_lua_block { ngx.say(1); }", "content_by_lua_block"),
        ("perl Evil::handler;", "perl"),
        ("js_content main.handler;", "js_content"),
        ("auth_basic_user_file /etc/shadow;", "auth_basic_user_file"),
        ("client_body_temp_path /etc/nsm;", "client_body_temp_path"),
        ("proxy_store on;", "proxy_store"),
        ("return 204;\nlocation /in { access_log /tmp/nested.log; }", "access_log"),
        ("if ($x) { root /etc; }", "root"),
    ] {
        let message = refused(body);
        assert!(message.contains(&format!("`{directive}`")), "{body:?}: {message}");
    }
}

#[test]
fn unlisted_directives_are_refused_naming_them() {
    for (body, directive) in [
        ("no_such_directive on;", "no_such_directive"),
        ("Include /etc/passwd;", "Include"),
        ("inc\\lude /etc/passwd;", "inc\\lude"),
        ("ssi on;", "ssi"),
        ("set_real_ip_from 0.0.0.0/0;", "set_real_ip_from"),
        ("types { text/html html; }", "types"),
        ("server { listen 81; }", "server"),
    ] {
        let message = refused(body);
        assert!(message.contains(&format!("`{directive}`")) && message.contains("not a directive"), "{message}");
    }
}

#[test]
fn upstreams_are_written_out_network_addresses() {
    for body in [
        "proxy_pass http://unix:/var/run/docker.sock:/;",
        "proxy_pass http://UNIX:/var/run/docker.sock:/;",
        "fastcgi_pass unix:/run/php/php-fpm.sock;",
        "uwsgi_pass unix:/tmp/app.sock;",
        "grpc_pass grpc://unix:/run/x.sock;",
        "set $u \"unix:/var/run/docker.sock:\";\nproxy_pass http://$u;",
        "proxy_pass $backend;",
        "proxy_pass http://u$rest;",
    ] {
        let message = refused(body);
        assert!(message.contains("cannot connect to"), "{body:?}: {message}");
    }
}
