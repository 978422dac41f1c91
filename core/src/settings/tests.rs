#![allow(clippy::unwrap_used)]
use proptest::prelude::*;

use super::*;

fn form() -> ServerSettingsForm {
    ServerSettingsForm {
        acme_directory: "https://acme.example.com/directory".into(),
        acme_email: "ops@example.com".into(),
        audit_retention_days: "30".into(),
        default_timeout_secs: "300".into(),
        default_worker: "node-2".into(),
    }
}

#[test]
fn a_valid_form_becomes_an_update() {
    let update = form().validate().unwrap();
    assert_eq!(update.acme_directory.as_str(), "https://acme.example.com/directory");
    assert_eq!(update.acme_email.unwrap().as_str(), "ops@example.com");
    assert_eq!(update.audit_retention.days(), 30);
    assert_eq!(update.default_timeout.secs(), 300);
    assert_eq!(update.default_worker.as_str(), "node-2");
}

#[test]
fn an_empty_email_clears_it() {
    let update = ServerSettingsForm { acme_email: "  ".into(), ..form() }.validate().unwrap();
    assert_eq!(update.acme_email, None);
}

#[test]
fn every_bad_field_is_named() {
    let bad = ServerSettingsForm {
        acme_directory: "http://acme.example.com/directory".into(),
        acme_email: "ops@localhost".into(),
        audit_retention_days: "forever".into(),
        default_timeout_secs: "".into(),
        default_worker: "Node 2".into(),
    };
    let errors = bad.validate().unwrap_err();
    for field in ["acme_directory", "acme_email", "audit_retention_days", "default_timeout_secs", "default_worker"] {
        assert!(errors.get(field).is_some(), "{field} not refused: {errors}");
    }
}

#[test]
fn acme_directories_that_could_break_out_are_refused() {
    for url in [
        "https://",
        "https:///path",
        "https://a b",
        "https://a\nb",
        "https://a\"b",
        "ftp://a",
        "https://a\\b",
        &format!("https://{}", "a".repeat(2100)),
    ] {
        assert!(AcmeDirectory::parse(url).is_err(), "{url:?} accepted");
    }
    assert!(AcmeDirectory::parse("https://localhost:14000/dir").is_ok());
}

#[test]
fn addresses_need_a_local_part_and_a_dotted_domain() {
    for email in ["@example.com", "ops@", "ops@example", "ops@.com", "ops@example.", "a@b@c.d", "a b@c.d", "a<b@c.d"] {
        assert!(ContactEmail::parse(email).is_err(), "{email:?} accepted");
    }
    assert!(ContactEmail::parse("ops+nsm@mail.example.co.uk").is_ok());
}

#[test]
fn retention_is_bounded_and_zero_keeps_forever() {
    assert_eq!(RetentionDays::parse("0").unwrap().cutoff_days(), None);
    assert_eq!(RetentionDays::parse(" 90 ").unwrap().cutoff_days(), Some(90));
    assert!(RetentionDays::parse("3651").is_err());
    assert!(RetentionDays::parse("-1").is_err());
    assert!(serde_json::from_str::<RetentionDays>("4000").is_err(), "deserialising checks too");
}

#[test]
fn the_flag_wins_over_the_stored_value_over_the_default() {
    let flag = Setting::resolve(Some("--x"), Some(1), Some(2), 3);
    assert_eq!((flag.value, flag.source, flag.is_locked()), (1, SettingSource::Flag, true));
    let stored = Setting::resolve(Some("--x"), None, Some(2), 3);
    assert_eq!((stored.value, stored.source, stored.is_locked()), (2, SettingSource::Stored, false));
    let default = Setting::<i32>::resolve(None, None, None, 3);
    assert_eq!((default.value, default.source), (3, SettingSource::Default));
}

proptest! {
    /// The form built from the settings in force validates back to the same values.
    #[test]
    fn the_form_of_the_settings_in_force_round_trips(
        host in "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,6}){1,2}",
        path in "(/[a-zA-Z0-9_-]{1,12}){0,3}",
        local in "[a-z0-9.+_-]{1,20}",
        days in 0u32..=MAX_RETENTION_DAYS,
        secs in 1u32..=3600,
        worker in "[a-z0-9][a-z0-9-]{0,20}",
        with_email: bool,
    ) {
        let directory = format!("https://{host}{path}");
        let email = with_email.then(|| format!("{local}@{host}"));
        let settings = ServerSettings {
            acme_directory: Setting::resolve(None, None, Some(AcmeDirectory::parse(&directory).unwrap()), AcmeDirectory::parse(LETS_ENCRYPT_PRODUCTION).unwrap()),
            acme_email: Setting::resolve(None, None, Some(email.as_deref().map(ContactEmail::parse).transpose().unwrap()), None),
            audit_retention: Setting::resolve(None, None, Some(RetentionDays::new(days).unwrap()), RetentionDays::new(90).unwrap()),
            default_timeout: Setting::resolve(None, None, DeployTimeout::new(secs).ok(), DeployTimeout::default()),
            default_worker: Setting::resolve(None, None, Some(WorkerId::parse(&worker).unwrap()), WorkerId::parse("local").unwrap()),
        };
        let update = ServerSettingsForm::from_settings(&settings).validate().unwrap();
        prop_assert_eq!(&update.acme_directory, &settings.acme_directory.value);
        prop_assert_eq!(&update.acme_email, &settings.acme_email.value);
        prop_assert_eq!(update.audit_retention, settings.audit_retention.value);
        prop_assert_eq!(update.default_timeout, settings.default_timeout.value);
        prop_assert_eq!(&update.default_worker, &settings.default_worker.value);
    }
}
