//! Campaigns and tags: anyone reads, editors and admins write, bad input changes nothing.

use api::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const CREATE: &str = "mutation($input: CreateCampaignInput!) {
    createCampaign(input: $input) { id slug name hashtag startsOn endsOn description }
}";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateCampaignInput!) {
    updateCampaign(id: $id, input: $input) { id slug name hashtag startsOn endsOn description }
}";
const LIST: &str = "query($first: Int, $after: String) {
    campaigns(first: $first, after: $after) {
        edges { cursor node { slug } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
    }
}";

fn imd_2023() -> Value {
    json!({
        "slug": "international-migrants-day-2023",
        "name": "International Migrants Day 2023: I Am A Migrant",
        "hashtag": "#IAmAMigrant",
        "startsOn": "2023-11-27",
        "endsOn": "2023-12-18",
        "description": "First-person stories."
    })
}

async fn slugs(app: &TestApp) -> Vec<String> {
    let res = app.gql(None, LIST, json!({ "first": 100 })).await;
    res.data()["campaigns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn editors_create_campaigns_that_anyone_can_read() {
    let app = spawn_app().await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;

    let res = app
        .gql(Some(&editor), CREATE, json!({ "input": imd_2023() }))
        .await;
    let created = &res.data()["createCampaign"];
    assert_eq!(created["hashtag"], "#IAmAMigrant");
    assert_eq!(created["startsOn"], "2023-11-27");

    let res = app
        .gql(
            None,
            "query($slug: String!) { campaign(slug: $slug) { name hashtag endsOn } }",
            json!({ "slug": "international-migrants-day-2023" }),
        )
        .await;
    assert_eq!(
        res.data()["campaign"],
        json!({ "name": "International Migrants Day 2023: I Am A Migrant", "hashtag": "#IAmAMigrant", "endsOn": "2023-12-18" })
    );
    let res = app
        .gql(
            None,
            "{ campaign(slug: \"no-such-campaign\") { name } }",
            json!({}),
        )
        .await;
    assert!(res.data()["campaign"].is_null());
}

#[tokio::test]
async fn admins_update_campaigns_and_null_clears_an_optional_field() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let res = app
        .gql(Some(&admin), CREATE, json!({ "input": imd_2023() }))
        .await;
    let id = res.data()["createCampaign"]["id"].clone();

    let res = app
        .gql(
            Some(&admin),
            UPDATE,
            json!({ "id": id, "input": { "name": "IMD 2023", "hashtag": null } }),
        )
        .await;
    let updated = &res.data()["updateCampaign"];
    assert_eq!(updated["name"], "IMD 2023");
    assert!(updated["hashtag"].is_null());
    assert_eq!(
        updated["startsOn"], "2023-11-27",
        "fields left out stay as they were"
    );
}

#[tokio::test]
async fn contributors_and_anonymous_callers_cannot_change_campaigns() {
    let app = spawn_app().await;
    let contributor = app.token_for("writer@example.org", Role::Contributor).await;

    let res = app
        .gql(Some(&contributor), CREATE, json!({ "input": imd_2023() }))
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app.gql(None, CREATE, json!({ "input": imd_2023() })).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
    assert!(slugs(&app).await.is_empty(), "nothing was created");

    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let res = app
        .gql(Some(&editor), CREATE, json!({ "input": imd_2023() }))
        .await;
    let id = res.data()["createCampaign"]["id"].clone();
    let res = app
        .gql(
            Some(&contributor),
            UPDATE,
            json!({ "id": id, "input": { "name": "Hijacked" } }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(
            None,
            "{ campaign(slug: \"international-migrants-day-2023\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.data()["campaign"]["name"],
        "International Migrants Day 2023: I Am A Migrant"
    );
}

#[tokio::test]
async fn a_taken_slug_is_a_conflict() {
    let app = spawn_app().await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    app.gql(Some(&editor), CREATE, json!({ "input": imd_2023() }))
        .await
        .data();

    let res = app
        .gql(Some(&editor), CREATE, json!({ "input": imd_2023() }))
        .await;
    assert_eq!(res.code(), "CONFLICT");
    assert_eq!(slugs(&app).await.len(), 1);
}

#[tokio::test]
async fn invalid_campaigns_are_bad_user_input_naming_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let cases = [
        ("slug", json!("Not A Slug")),
        ("name", json!("   ")),
        ("hashtag", json!("IAmAMigrant")),
        ("endsOn", json!("2023-01-01")),
    ];
    for (field, value) in cases {
        let mut input = imd_2023();
        input[field] = value;
        let res = app
            .gql(Some(&editor), CREATE, json!({ "input": input }))
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{field}: {}", res.body);
        assert_eq!(res.body["errors"][0]["extensions"]["field"], field);
    }
    let mut input = imd_2023();
    input["startsOn"] = json!("18 December 2023");
    let res = app
        .gql(Some(&editor), CREATE, json!({ "input": input }))
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    assert!(slugs(&app).await.is_empty());

    let res = app
        .gql(
            Some(&editor),
            UPDATE,
            json!({ "id": "not-an-id", "input": { "name": "x" } }),
        )
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    let res = app
        .gql(
            Some(&editor),
            UPDATE,
            json!({ "id": uuid::Uuid::now_v7().to_string(), "input": { "name": "x" } }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
}

#[tokio::test]
async fn campaigns_page_forward_with_cursors() {
    let app = spawn_app().await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    for i in 0..5 {
        let mut input = imd_2023();
        input["slug"] = json!(format!("campaign-{i}"));
        app.gql(Some(&editor), CREATE, json!({ "input": input }))
            .await
            .data();
    }

    let first = app.gql(None, LIST, json!({ "first": 2 })).await;
    let conn = &first.data()["campaigns"];
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], false);
    let mut seen: Vec<String> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap().to_owned())
        .collect();
    let mut after = conn["pageInfo"]["endCursor"].clone();
    loop {
        let res = app
            .gql(None, LIST, json!({ "first": 2, "after": after }))
            .await;
        let conn = res.data()["campaigns"].clone();
        seen.extend(
            conn["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["slug"].as_str().unwrap().to_owned()),
        );
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        seen,
        (0..5).map(|i| format!("campaign-{i}")).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn page_size_is_capped_at_100_and_cursors_are_checked() {
    let app = spawn_app().await;
    let res = app.gql(None, LIST, json!({ "first": 101 })).await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "first");
    let res = app.gql(None, LIST, json!({ "first": -1 })).await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    let res = app
        .gql(None, LIST, json!({ "after": "not a cursor" }))
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    let res = app.gql(None, LIST, json!({ "first": 100 })).await;
    assert!(
        res.data()["campaigns"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn editors_manage_tags_and_contributors_cannot() {
    let app = spawn_app().await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let contributor = app.token_for("writer@example.org", Role::Contributor).await;
    let create = "mutation($input: CreateTagInput!) { createTag(input: $input) { id slug name } }";
    let input = json!({ "slug": "food", "name": "Food", "description": "The taste of home." });

    let res = app
        .gql(Some(&contributor), create, json!({ "input": input }))
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(Some(&editor), create, json!({ "input": input }))
        .await;
    let id = res.data()["createTag"]["id"].clone();
    let res = app
        .gql(Some(&editor), create, json!({ "input": input }))
        .await;
    assert_eq!(res.code(), "CONFLICT");

    let update = "mutation($id: ID!, $input: UpdateTagInput!) { updateTag(id: $id, input: $input) { slug name } }";
    let res = app
        .gql(
            Some(&contributor),
            update,
            json!({ "id": id, "input": { "name": "Cooking" } }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(
            Some(&editor),
            update,
            json!({ "id": id, "input": { "name": "Food and home" } }),
        )
        .await;
    assert_eq!(
        res.data()["updateTag"],
        json!({ "slug": "food", "name": "Food and home" })
    );

    let res = app
        .gql(
            None,
            "{ tags { edges { node { slug name } } } tag(slug: \"food\") { description } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.data()["tags"]["edges"][0]["node"]["name"],
        "Food and home"
    );
    assert_eq!(res.data()["tag"]["description"], "The taste of home.");
}
