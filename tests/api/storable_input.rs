//! Input no database can store (a NUL character, a year outside 0001–9999) is
//! `BAD_USER_INPUT` naming the argument, on both backends, and writes nothing.

use api::{
    auth::Role,
    clock,
    consumers::{self, NewKey},
    stories,
};
use entity::{api_key::Channel, story, storyteller_review};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Map, Value, json};

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, TestApp, spawn_app, spawn_app_with},
};

/// A request as a consumer with `key`.
async fn as_consumer(app: &TestApp, key: &str, query: &str, variables: Value) -> GqlResponse {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-api-key", key)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request sent");
    GqlResponse {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.json().await.expect("JSON response"),
    }
}

async fn key(app: &TestApp) -> String {
    let admin = fixtures::staff(&app.db, "keys@example.org", Role::Admin).await;
    consumers::create_key(
        &app.db,
        &admin,
        NewKey {
            name: "app".into(),
            channel: Channel::MobileApp,
            partner_id: None,
            campaign_ids: vec![],
            expires_at: None,
        },
        clock::now(),
    )
    .await
    .expect("key")
    .1
}

/// Asserts the answer is one `BAD_USER_INPUT` about a NUL that names `field`.
fn assert_nul_refused(res: &GqlResponse, field: &str, what: &str) {
    assert_eq!(res.codes(), ["BAD_USER_INPUT"], "{what}: {}", res.body);
    assert!(
        res.message().contains("U+0000") && res.message().contains(field),
        "{what}: the message names the NUL and `{field}`: {}",
        res.body
    );
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"], field,
        "{what}: {}",
        res.body
    );
}

#[tokio::test]
async fn a_nul_in_the_named_string_arguments_is_bad_user_input_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let editor = fixtures::staff(&app.db, "ed@example.org", Role::Editor).await;
    let teller =
        fixtures::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Ana").await;
    let key = key(&app).await;

    // Inline, as a consumer.
    let res = as_consumer(
        &app,
        &key,
        r#"{ story(slug: "a\u0000b") { id } }"#,
        json!({}),
    )
    .await;
    assert_nul_refused(&res, "slug", "story(slug)");

    // Inline and anonymous.
    let res = app
        .gql(
            None,
            r#"mutation { login(email: "a\u0000@x.org", password: "long enough password") { accessToken } }"#,
            json!({}),
        )
        .await;
    assert_nul_refused(&res, "email", "login(email)");

    // In a variable, nested in an input object.
    let stories_before = story::Entity::find().count(&app.db).await.unwrap();
    let res = app
        .gql(
            Some(&admin),
            "mutation($input: CreateStoryInput!) { createStory(input: $input) { id } }",
            json!({ "input": {
                "storytellerId": teller.id, "primaryLocale": "en", "title": "a\u{0}b"
            } }),
        )
        .await;
    assert_nul_refused(&res, "input", "createStory(input.title)");
    assert!(
        res.message().contains("$input.title"),
        "the path: {}",
        res.body
    );
    assert_eq!(
        story::Entity::find().count(&app.db).await.unwrap(),
        stories_before,
        "no story was created"
    );

    let terms = json!({
        "channels": ["MOBILE_APP"], "identityLevel": "PSEUDONYM", "faces": "OBSCURED",
        "voice": "TEXT_ONLY", "locationPrecision": "COUNTRY", "method": "WRITTEN",
        "language": "en", "noticeVersion": "1", "noticeHash": "abc",
        "collectedBy": "Bea\u{0}", "jurisdiction": "GB"
    });
    let res = app
        .gql(
            Some(&admin),
            "mutation($input: RecordConsentInput!) { recordConsent(input: $input) { record { id } } }",
            json!({ "input": { "storytellerId": teller.id, "terms": terms } }),
        )
        .await;
    assert_nul_refused(&res, "input", "recordConsent(input.terms.collectedBy)");

    let res = app
        .gql(
            Some(&admin),
            r#"{ auditEvents(filter: { action: "story.\u0000" }) { edges { cursor } } }"#,
            json!({}),
        )
        .await;
    assert_nul_refused(&res, "filter", "auditEvents(filter.action)");
    assert!(res.message().contains("filter.action"), "{}", res.body);
}

#[tokio::test]
async fn years_outside_0001_to_9999_are_bad_user_input_and_write_nothing() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let editor = fixtures::staff(&app.db, "ed@example.org", Role::Editor).await;
    let teller =
        fixtures::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Ana").await;
    let draft = fixtures::draft(&app.db, &editor, teller.id, "A story").await;
    let revision = stories::head_revision(&app.db, &draft, "en")
        .await
        .expect("revision");
    let key = key(&app).await;

    let stories_query =
        "query($until: DateTime) { stories(publishedUntil: $until) { edges { cursor } } }";
    for bad in [
        "-262143-01-01T00:00:00Z",
        "0000-12-31T23:59:59Z",
        "+10000-01-01T00:00:00Z",
        "+262142-12-31T23:59:59Z",
    ] {
        let res = as_consumer(&app, &key, stories_query, json!({ "until": bad })).await;
        assert_eq!(res.codes(), ["BAD_USER_INPUT"], "{bad}: {}", res.body);
        assert!(
            res.message().contains("0001 and 9999"),
            "{bad}: {}",
            res.body
        );
        assert_eq!(
            res.body["errors"][0]["extensions"]["field"], "publishedUntil",
            "{bad}: {}",
            res.body
        );
        assert!(
            res.message().contains("`publishedUntil` of `stories`"),
            "{bad}: {}",
            res.body
        );
    }
    // The ends of the range are fine.
    for good in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"] {
        let res = as_consumer(&app, &key, stories_query, json!({ "until": good })).await;
        res.data();
    }
    // Inline, too.
    let res = as_consumer(
        &app,
        &key,
        r#"{ stories(publishedUntil: "-262143-01-01T00:00:00Z") { edges { cursor } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(res.codes(), ["BAD_USER_INPUT"], "{}", res.body);

    let res = app
        .gql(
            Some(&admin),
            "mutation($r: ID!, $at: DateTime!) { recordStorytellerReview(revisionId: $r, method: IN_PERSON, reviewedAt: $at) { id } }",
            json!({ "r": revision.id, "at": "-262143-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(res.codes(), ["BAD_USER_INPUT"], "{}", res.body);
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"], "reviewedAt",
        "{}",
        res.body
    );
    assert_eq!(
        storyteller_review::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0,
        "no review was recorded"
    );

    // The `Date` scalar has the same bound.
    let res = app
        .gql(
            Some(&admin),
            r#"mutation { createCampaign(input: { slug: "far", name: "Far", startsOn: "+20000-01-01" }) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(res.codes(), ["BAD_USER_INPUT"], "{}", res.body);
}

// ---- Every string argument of every root field, found by introspection ----

/// The schema's types by name, as introspection describes them.
async fn introspect(app: &TestApp, admin: &str) -> Map<String, Value> {
    let res = app
        .gql(
            Some(admin),
            "{ __schema { types { name kind
                 inputFields { name defaultValue type { ...T } }
                 fields { name args { name defaultValue type { ...T } } type { ...T } }
                 enumValues { name } } } }
             fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }",
            json!({}),
        )
        .await;
    res.data()["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
        .collect()
}

/// A type reference as written in a variable definition.
fn written(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", written(&ty["ofType"])),
        Some("LIST") => format!("[{}]", written(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap().to_owned(),
    }
}

/// The named type under any list and non-null wrappers.
fn named(ty: &Value) -> &Value {
    if ty["ofType"].is_null() {
        ty
    } else {
        named(&ty["ofType"])
    }
}

/// A plausible value of `ty`, with only the required input fields.
fn plausible(types: &Map<String, Value>, ty: &Value, depth: usize) -> Value {
    match ty["kind"].as_str().unwrap() {
        "NON_NULL" => plausible(types, &ty["ofType"], depth),
        "LIST" => json!([plausible(types, &ty["ofType"], depth)]),
        "ENUM" => types[ty["name"].as_str().unwrap()]["enumValues"][0]["name"].clone(),
        "INPUT_OBJECT" => {
            let mut object = Map::new();
            if depth < 4 {
                for f in types[ty["name"].as_str().unwrap()]["inputFields"]
                    .as_array()
                    .unwrap()
                {
                    if f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null() {
                        let value = plausible(types, &f["type"], depth + 1);
                        object.insert(f["name"].as_str().unwrap().to_owned(), value);
                    }
                }
            }
            Value::Object(object)
        }
        _ => match ty["name"].as_str().unwrap() {
            "Int" => json!(1),
            "Float" => json!(1.0),
            "Boolean" => json!(false),
            "ID" => json!(uuid::Uuid::now_v7()),
            "DateTime" => json!("2026-01-01T00:00:00Z"),
            "Date" => json!("2026-01-01"),
            "JSON" => json!({}),
            "Upload" => Value::Null,
            _ => json!("x"),
        },
    }
}

/// Every value of `ty` with one string (somewhere inside it) holding a NUL,
/// and the path to that string.
fn with_nul(types: &Map<String, Value>, ty: &Value, depth: usize) -> Vec<(String, Value)> {
    match ty["kind"].as_str().unwrap() {
        "NON_NULL" => with_nul(types, &ty["ofType"], depth),
        "LIST" => with_nul(types, &ty["ofType"], depth)
            .into_iter()
            .map(|(path, v)| (format!("[0]{path}"), json!([v])))
            .collect(),
        "INPUT_OBJECT" if depth < 4 => {
            let base = plausible(types, ty, depth);
            let mut cases = Vec::new();
            for f in types[ty["name"].as_str().unwrap()]["inputFields"]
                .as_array()
                .unwrap()
            {
                let name = f["name"].as_str().unwrap();
                for (path, v) in with_nul(types, &f["type"], depth + 1) {
                    let mut object = base.clone();
                    object[name] = v;
                    cases.push((format!(".{name}{path}"), object));
                }
            }
            cases
        }
        "SCALAR" => match ty["name"].as_str().unwrap() {
            "String" | "ID" => vec![(String::new(), json!("a\u{0}b"))],
            "JSON" => vec![(".k".into(), json!({ "k": "a\u{0}b" }))],
            _ => vec![],
        },
        _ => vec![],
    }
}

#[tokio::test]
async fn a_nul_in_any_string_argument_of_any_root_field_is_bad_user_input() {
    // Introspection of the whole schema costs more than the default limits.
    let app = spawn_app_with(&[
        ("CHORUS_GRAPHQL_MAX_COMPLEXITY", "100000"),
        ("CHORUS_GRAPHQL_MAX_DEPTH", "20"),
    ])
    .await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let types = introspect(&app, &admin).await;

    let mut checked = 0;
    for (root, operation) in [("Query", "query"), ("Mutation", "mutation")] {
        for field in types[root]["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            let args = field["args"].as_array().unwrap();
            let selection = match named(&field["type"])["kind"].as_str() {
                Some("OBJECT" | "INTERFACE" | "UNION") => "{ __typename }",
                _ => "",
            };
            for arg in args {
                let arg_name = arg["name"].as_str().unwrap();
                for (path, value) in with_nul(&types, &arg["type"], 0) {
                    // This argument, and plausible values for the required others.
                    let mut sent = vec![(arg, value)];
                    for other in args {
                        let required =
                            other["type"]["kind"] == "NON_NULL" && other["defaultValue"].is_null();
                        if required && other["name"] != arg["name"] {
                            sent.push((other, plausible(&types, &other["type"], 0)));
                        }
                    }
                    let definitions = sent
                        .iter()
                        .map(|(a, _)| {
                            format!("${}: {}", a["name"].as_str().unwrap(), written(&a["type"]))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let passed = sent
                        .iter()
                        .map(|(a, _)| format!("{0}: ${0}", a["name"].as_str().unwrap()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let query =
                        format!("{operation}({definitions}) {{ {name}({passed}) {selection} }}");
                    let variables: Map<String, Value> = sent
                        .into_iter()
                        .map(|(a, v)| (a["name"].as_str().unwrap().to_owned(), v))
                        .collect();
                    let res = app
                        .gql(Some(&admin), &query, Value::Object(variables))
                        .await;
                    let what = format!("{name}({arg_name}{path})");
                    assert_nul_refused(&res, arg_name, &what);
                    assert!(
                        res.message().contains(&format!("${arg_name}{path}`")),
                        "{what}: the path: {}",
                        res.body
                    );
                    checked += 1;
                }
            }
        }
    }
    // The walk found the arguments (13 reached the database before).
    assert!(checked > 100, "only {checked} strings were checked");
}
