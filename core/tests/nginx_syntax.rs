//! `nginx -t` on rendered configurations: every resource type and option, awkward but
//! valid values, several projects side by side. Skipped (with a note) without nginx, and
//! failed instead when `NSM_REQUIRE_SERVICES` is set.

// A test crate: a failed unwrap is a failed test, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use nsm_core::edge::{render_nginx, ListenPorts};
use nsm_testkit::nginx_or_skip;

#[test]
fn every_resource_type_and_option_passes_nginx_t() {
    let Some(nginx) = nginx_or_skip() else { return };
    let prefix = Prefix::new(nginx);
    let mut input = site(
        &prefix,
        "shop",
        &[(1, "shop.example.com"), (2, "*.shop.example.org"), (3, "localhost"), (4, "empty.example")],
        vec![
            resource(1, 1, "/", static_page(true, &[])),
            resource(2, 1, "/docs", static_page(false, &["https://a.example.com", "http://localhost:5173"])),
            resource(3, 1, "/app/", static_page(true, &["*"])),
            resource(4, 1, "/api", api(true, 3600, "10g")),
            resource(5, 1, "/api/v2/", api(false, 1, "1")),
            resource(6, 1, "/old", redirect("https://new.example.com/landing?from=old#top")),
            resource(7, 2, "/", api(false, 60, "")),
            resource(8, 2, "/raw", custom("return 200 \"}{;#'\";")),
            resource(9, 3, "/~user/a.b_c-d", static_page(false, &[])),
            resource(10, 3, "/nested", custom("location /nested/deep {\n    return 204;\n}\nreturn 200 ${host}; # }")),
            resource(11, 3, "/no-port", api(true, 60, "")),
        ],
    );
    input.ports.insert(4, 41004);
    input.ports.insert(5, 41005);
    input.ports.insert(7, 41007);
    input.upstream_host = "::1".into();
    let text = render_nginx(&input).unwrap();
    prefix.assert_valid("shop", &text);

    input.listen = ListenPorts { http: 8080, https: 8443 };
    input.directories.clear();
    prefix.assert_valid("shop-ports", &render_nginx(&input).unwrap());
}

#[test]
fn the_longest_names_and_paths_pass_nginx_t() {
    let Some(nginx) = nginx_or_skip() else { return };
    let prefix = Prefix::new(nginx);
    let longest = [&"a".repeat(63)[..], &"b".repeat(63), &"c".repeat(63), &"d".repeat(61)].join(".");
    let path = format!("/{}", "p".repeat(199));
    let input = site(&prefix, "a-b-c", &[(1, &longest)], vec![resource(1, 1, &path, static_page(true, &["*"]))]);
    prefix.assert_valid("long", &render_nginx(&input).unwrap());
}

#[test]
fn several_projects_load_together() {
    let Some(nginx) = nginx_or_skip() else { return };
    let prefix = Prefix::new(nginx);
    let cors = &["https://a.example.com"];
    let one = site(&prefix, "one", &[(1, "one.example")], vec![resource(1, 1, "/", static_page(false, cors))]);
    let two = site(&prefix, "one-two", &[(2, "two.example")], vec![resource(1, 2, "/", static_page(false, cors))]);
    let texts = [render_nginx(&one).unwrap(), render_nginx(&two).unwrap()];
    let conf = prefix.write(&[("one", &texts[0]), ("one-two", &texts[1])]);
    let out = prefix.test(&conf);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn tricky_custom_bodies_pass_nginx_t() {
    let Some(nginx) = nginx_or_skip() else { return };
    let prefix = Prefix::new(nginx);
    let bodies = [
        "add_header X-A \"}\";\nreturn 204;",
        "# a comment with { and }\nreturn 204;",
        "if ($request_method = POST) {\n    return 405;\n}\nreturn 204;",
        "set $x \"${host}\";\nreturn 200 $x;",
        "add_header X-A 'a\\'}';\nreturn 204;",
        "return 200 a}b;",
        "return 204; # trailing comment without a newline",
        "\treturn 204;\r\n",
    ];
    for (i, body) in bodies.iter().enumerate() {
        let input = site(&prefix, "c", &[(1, "c.example")], vec![resource(1, 1, "/c", custom(body))]);
        prefix.assert_valid(&format!("custom{i}"), &render_nginx(&input).unwrap());
    }
}

#[test]
fn the_check_itself_catches_errors() {
    let Some(nginx) = nginx_or_skip() else { return };
    let prefix = Prefix::new(nginx);
    let conf = prefix.write(&[("broken", "server {\n    listen 1;\n    no_such_directive on;\n}\n")]);
    assert!(!prefix.test(&conf).status.success());
}
