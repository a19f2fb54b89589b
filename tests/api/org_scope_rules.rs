//! The organisation scope (issue 16, slice 2), for what the acceptance matrix
//! (`org_scope.rs`) does not walk through: organisation admins managing their own
//! people and their partner's keys, the migration's backfill of record owners, a
//! story under no campaign, a campaign shared and taken back (access ends on the
//! next request), and the scope costing a constant number of statements.

use api::{
    auth::{Role, accounts::By},
    bench::{self, Shape},
    clock,
    organisations::{self, NewOrganisation, PLATFORM_ID},
};
use entity::{media_asset, story, storyteller};
use migration::{Alias, MigratorTrait, Query};
use sea_orm::{ConnectionTrait, Database, EntityTrait, prelude::Uuid};
use serde_json::{Value, json};

use crate::{
    helpers::{PASSWORD, TestApp, TestDatabase, spawn_app, spawn_app_with},
    organisations::{audit_count, create_campaign},
};

const ADMIN: &str = "admin@chorus.test";

/// A member organisation, optionally a partner's; its id.
async fn organisation(app: &TestApp, slug: &str, partner_id: Option<Uuid>) -> Uuid {
    organisations::create(
        &app.db,
        By::Cli,
        NewOrganisation {
            slug: slug.into(),
            name: slug.to_uppercase(),
            partner_id,
        },
        clock::now(),
    )
    .await
    .expect("organisation created")
    .id
}

/// An account of `role` in `organisation`, signed in; its id and access token.
async fn member(app: &TestApp, email: &str, role: Role, organisation: Uuid) -> (Uuid, String) {
    app.create_user(email, role).await;
    let user = api::auth::users::find_by_email(&app.db, email)
        .await
        .expect("read")
        .expect("user");
    organisations::set_user_organisation(&app.db, By::Cli, user.id, organisation, clock::now())
        .await
        .expect("moved");
    let token = app.login(email, PASSWORD).await.data()["login"]["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned();
    (user.id, token)
}

fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {value}"))
        .to_owned()
}

/// A storyteller and a story of theirs in these campaigns; the story's id.
async fn create_story(app: &TestApp, token: &str, title: &str, campaigns: &[&str]) -> String {
    let teller = app
        .gql(
            Some(token),
            "mutation($i: CreateStorytellerInput!) { createStoryteller(input: $i) { id } }",
            json!({ "i": { "publicName": title, "legalName": format!("{title} Legal") } }),
        )
        .await;
    let res = app
        .gql(
            Some(token),
            "mutation($i: CreateStoryInput!) { createStory(input: $i) { id } }",
            json!({ "i": {
                "storytellerId": id(&teller.data()["createStoryteller"]),
                "primaryLocale": "en",
                "title": title,
                "campaignIds": campaigns,
            } }),
        )
        .await;
    id(&res.data()["createStory"])
}

/// The story as `token` sees it through `editorialStory` (null when out of scope).
async fn seen(app: &TestApp, token: &str, story: &str) -> Value {
    app.gql(
        Some(token),
        "query($id: ID!) { editorialStory(id: $id) { id storyteller { id publicName } } }",
        json!({ "id": story }),
    )
    .await
    .data()["editorialStory"]
        .clone()
}

async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let res = app
        .gql(
            Some(token),
            "{ editorialStories(first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    res.data()["editorialStories"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(id)
        .collect()
}

#[tokio::test]
async fn a_story_under_no_campaign_belongs_to_its_creators_organisation() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, Role::Admin).await;
    let (imix, lawrs) = (
        organisation(&app, "imix", None).await,
        organisation(&app, "lawrs", None).await,
    );
    let (_, writer) = member(&app, "writer@imix.test", Role::Contributor, imix).await;
    let (_, colleague) = member(&app, "editor@imix.test", Role::Editor, imix).await;
    let (_, outsider) = member(&app, "editor@lawrs.test", Role::Editor, lawrs).await;
    let story = create_story(&app, &writer, "Amal", &[]).await;

    let owner = story::Entity::find_by_id(story.parse::<Uuid>().expect("uuid"))
        .one(&app.db)
        .await
        .expect("read")
        .expect("story");
    assert_eq!(owner.organisation_id, imix);
    let teller = storyteller::Entity::find_by_id(owner.storyteller_id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("storyteller");
    assert_eq!(teller.organisation_id, imix);

    assert_eq!(seen(&app, &colleague, &story).await["id"], json!(story));
    assert_eq!(
        seen(&app, &colleague, &story).await["storyteller"]["publicName"],
        "Amal"
    );
    assert_eq!(seen(&app, &admin, &story).await["id"], json!(story));
    assert_eq!(seen(&app, &outsider, &story).await, Value::Null);
    assert!(listed(&app, &colleague).await.contains(&story));
    assert!(!listed(&app, &outsider).await.contains(&story));
    let res = app
        .gql(
            Some(&outsider),
            "mutation($id: ID!) { archiveStory(id: $id) { id } }",
            json!({ "id": story }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
}

#[tokio::test]
async fn a_campaign_shared_then_taken_back_ends_access_on_the_next_request() {
    let app = spawn_app().await;
    // The archive keeps a platform admin: the first admin could not be moved out.
    app.token_for(ADMIN, Role::Admin).await;
    let (imix, lawrs) = (
        organisation(&app, "imix", None).await,
        organisation(&app, "lawrs", None).await,
    );
    let (_, lawrs_admin) = member(&app, "lead@lawrs.test", Role::Admin, lawrs).await;
    let (_, imix_editor) = member(&app, "editor@imix.test", Role::Editor, imix).await;
    let campaign = create_campaign(&app, &lawrs_admin, "migrants-contribute").await;
    let story = create_story(&app, &lawrs_admin, "Bina", &[&campaign]).await;
    assert_eq!(seen(&app, &imix_editor, &story).await, Value::Null);

    let share = |verb: &str| {
        format!(
            "mutation($c: ID!, $o: ID!) {{ {verb}(campaignId: $c, organisationId: $o) {{ id }} }}"
        )
    };
    app.gql(
        Some(&lawrs_admin),
        &share("shareCampaign"),
        json!({ "c": campaign, "o": imix.to_string() }),
    )
    .await
    .data();
    // Partners in the campaign: its stories and their storytellers.
    assert_eq!(
        seen(&app, &imix_editor, &story).await["storyteller"]["publicName"],
        "Bina"
    );
    assert!(listed(&app, &imix_editor).await.contains(&story));

    app.gql(
        Some(&lawrs_admin),
        &share("unshareCampaign"),
        json!({ "c": campaign, "o": imix.to_string() }),
    )
    .await
    .data();
    assert_eq!(seen(&app, &imix_editor, &story).await, Value::Null);
    assert!(!listed(&app, &imix_editor).await.contains(&story));
    let res = app
        .gql(
            Some(&imix_editor),
            "mutation($i: CreateStoryInput!) { createStory(input: $i) { id } }",
            json!({ "i": {
                "storytellerId": seen(&app, &lawrs_admin, &story).await["storyteller"]["id"],
                "primaryLocale": "en",
                "title": "Mine now",
                "campaignIds": [campaign],
            } }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
}

#[tokio::test]
async fn an_organisation_admin_manages_their_own_people_and_nobody_else() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, Role::Admin).await;
    let (imix, lawrs) = (
        organisation(&app, "imix", None).await,
        organisation(&app, "lawrs", None).await,
    );
    let (_, imix_admin) = member(&app, "lead@imix.test", Role::Admin, imix).await;
    let (colleague, colleague_token) = member(&app, "editor@imix.test", Role::Editor, imix).await;
    let (outsider, _) = member(&app, "editor@lawrs.test", Role::Editor, lawrs).await;
    let platform_editor = {
        app.create_user("editor@chorus.test", Role::Editor).await;
        api::auth::users::find_by_email(&app.db, "editor@chorus.test")
            .await
            .expect("read")
            .expect("user")
            .id
    };

    let people = app
        .gql(Some(&imix_admin), "{ users { email } }", json!({}))
        .await;
    assert_eq!(
        people.data()["users"],
        json!([{ "email": "editor@imix.test" }, { "email": "lead@imix.test" }])
    );
    let everyone = app
        .gql(Some(&admin), "{ users { email } }", json!({}))
        .await;
    assert_eq!(everyone.data()["users"].as_array().map(Vec::len), Some(5));
    // Editors still do not manage people, in any organisation.
    let res = app
        .gql(Some(&colleague_token), "{ users { email } }", json!({}))
        .await;
    assert_eq!(res.code(), "FORBIDDEN");

    let set_role = "mutation($id: ID!, $r: Role!) { setUserRole(id: $id, role: $r) { role } }";
    let by_id = |m: &str| format!("mutation($id: ID!) {{ {m}(id: $id) }}");
    let res = app
        .gql(
            Some(&imix_admin),
            set_role,
            json!({ "id": colleague.to_string(), "r": "ADMIN" }),
        )
        .await;
    assert_eq!(res.data()["setUserRole"]["role"], "ADMIN");
    // An admin of IMIX is an organisation admin, not a platform admin.
    let promoted = api::auth::users::find_by_id(&app.db, colleague)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(promoted.organisation_id, imix);
    for (query, field) in [
        (
            "mutation($id: ID!) { disableUser(id: $id) { disabled } }",
            "disableUser",
        ),
        (
            "mutation($id: ID!) { enableUser(id: $id) { disabled } }",
            "enableUser",
        ),
    ] {
        let res = app
            .gql(
                Some(&imix_admin),
                query,
                json!({ "id": colleague.to_string() }),
            )
            .await;
        assert!(res.data()[field].is_object(), "{field}");
    }
    let ended = app
        .gql(
            Some(&imix_admin),
            &by_id("endUserSessions"),
            json!({ "id": colleague.to_string() }),
        )
        .await;
    assert!(ended.data()["endUserSessions"].is_number());

    // Another organisation's people, and the platform's, are out of scope.
    let before = audit_count(&app).await;
    for person in [outsider, platform_editor] {
        for (query, variables) in [
            (
                set_role.to_owned(),
                json!({ "id": person.to_string(), "r": "ADMIN" }),
            ),
            (
                "mutation($id: ID!) { disableUser(id: $id) { id } }".to_owned(),
                json!({ "id": person.to_string() }),
            ),
            (
                "mutation($id: ID!) { enableUser(id: $id) { id } }".to_owned(),
                json!({ "id": person.to_string() }),
            ),
            (
                by_id("endUserSessions"),
                json!({ "id": person.to_string() }),
            ),
        ] {
            let res = app.gql(Some(&imix_admin), &query, variables).await;
            assert_eq!(res.code(), "NOT_FOUND", "{query}");
        }
    }
    assert_eq!(audit_count(&app).await, before, "nothing changed");
    let outsider = api::auth::users::find_by_id(&app.db, outsider)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(outsider.role, Role::Editor);
    assert!(outsider.disabled_at.is_none());
}

#[tokio::test]
async fn an_organisation_admin_manages_only_their_partners_keys() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, Role::Admin).await;
    let partner = |slug: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let res = app
                .gql(
                    Some(&admin),
                    "mutation($s: String!) { createPartner(slug: $s, name: $s) { id } }",
                    json!({ "s": slug }),
                )
                .await;
            id(&res.data()["createPartner"])
        }
    };
    let (ours, theirs) = (partner("imix-web").await, partner("lawrs-web").await);
    let imix = organisation(&app, "imix", Some(ours.parse().expect("uuid"))).await;
    let lawrs = organisation(&app, "lawrs", None).await;
    let (_, imix_admin) = member(&app, "lead@imix.test", Role::Admin, imix).await;
    let (_, lawrs_admin) = member(&app, "lead@lawrs.test", Role::Admin, lawrs).await;
    let (_, imix_editor) = member(&app, "editor@imix.test", Role::Editor, imix).await;

    let create = "mutation($p: ID) {
                    createApiKey(input: { name: \"site\", channel: PARTNER_SITES, partnerId: $p }) {
                      apiKey { id partnerId }
                    }
                  }";
    let their_key = app
        .gql(Some(&admin), create, json!({ "p": theirs }))
        .await
        .data()["createApiKey"]["apiKey"]
        .clone();
    // No partner named: the organisation's own.
    let our_key = app
        .gql(Some(&imix_admin), create, json!({ "p": null }))
        .await
        .data()["createApiKey"]["apiKey"]
        .clone();
    assert_eq!(our_key["partnerId"], json!(ours));

    let keys = app
        .gql(Some(&imix_admin), "{ apiKeys { nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        keys.data()["apiKeys"]["nodes"],
        json!([{ "id": id(&our_key) }])
    );
    let partners = app
        .gql(
            Some(&imix_admin),
            "{ partners { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        partners.data()["partners"]["nodes"],
        json!([{ "id": ours }])
    );
    let all = app
        .gql(Some(&admin), "{ apiKeys { nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        all.data()["apiKeys"]["nodes"].as_array().map(Vec::len),
        Some(2)
    );

    let before = audit_count(&app).await;
    let res = app
        .gql(Some(&imix_admin), create, json!({ "p": theirs }))
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
    let revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }";
    let res = app
        .gql(Some(&imix_admin), revoke, json!({ "id": id(&their_key) }))
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
    assert_eq!(audit_count(&app).await, before, "nothing changed");
    // Its own staff see which partner their organisation is (the newsroom's
    // Keys panel issues that partner's keys).
    let res = app
        .gql(
            Some(&imix_editor),
            "{ organisations { partner { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.data()["organisations"],
        json!([{ "partner": { "id": ours } }])
    );
    // An organisation that is no partner holds no partner keys (it may still
    // open its campaigns to submissions); editors manage none.
    let res = app
        .gql(
            Some(&lawrs_admin),
            "{ apiKeys { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data()["apiKeys"]["nodes"], json!([]));
    let res = app
        .gql(
            Some(&lawrs_admin),
            "mutation { createApiKey(input: { name: \"site\", channel: PUBLIC_WEB }) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(
            Some(&imix_editor),
            "{ apiKeys { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(Some(&imix_admin), revoke, json!({ "id": id(&our_key) }))
        .await;
    assert!(res.data()["revokeApiKey"]["revokedAt"].is_string());
}

#[tokio::test]
async fn the_migration_gives_each_record_its_creators_organisation() {
    let database = TestDatabase::new().await;
    let db = Database::connect(&database.url).await.expect("connect");
    migration::Migrator::up(&db, Some(15))
        .await
        .expect("migrations before record owners");
    let member_org = Uuid::now_v7();
    let (member_user, platform_user) = (Uuid::now_v7(), Uuid::now_v7());
    let now = clock::now();
    let insert = |table: &str, columns: &[&str], values: Vec<sea_orm::Value>| {
        Query::insert()
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)))
            .values_panic(values.into_iter().map(Into::into))
            .to_owned()
    };
    db.execute(&insert(
        "organisations",
        &["id", "slug", "name", "kind", "created_at", "updated_at"],
        vec![
            member_org.into(),
            "imix".into(),
            "IMIX".into(),
            "MEMBER".into(),
            now.into(),
            now.into(),
        ],
    ))
    .await
    .expect("organisation");
    for (user, org, email) in [
        (member_user, member_org, "old@imix.test"),
        (platform_user, PLATFORM_ID, "old@chorus.test"),
    ] {
        db.execute(&insert(
            "users",
            &[
                "id",
                "email",
                "password_hash",
                "role",
                "organisation_id",
                "created_at",
                "updated_at",
            ],
            vec![
                user.into(),
                email.into(),
                String::new().into(),
                "EDITOR".into(),
                org.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await
        .expect("an account from before");
    }
    let mut made = Vec::new();
    for (n, user) in [member_user, platform_user].into_iter().enumerate() {
        let (teller, story, media) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        db.execute(&insert(
            "storytellers",
            &[
                "id",
                "public_name",
                "public_name_is_pseudonym",
                "legal_name_enc",
                "languages",
                "asylum_seeker",
                "refugee",
                "undocumented",
                "created_by",
                "created_at",
                "updated_at",
            ],
            vec![
                teller.into(),
                "Teller".into(),
                true.into(),
                "x".into(),
                "en".into(),
                false.into(),
                false.into(),
                false.into(),
                user.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await
        .expect("storyteller");
        db.execute(&insert(
            "stories",
            &[
                "id",
                "slug",
                "storyteller_id",
                "primary_locale",
                "state",
                "version",
                "identity_level",
                "faces",
                "location_precision",
                "created_by",
                "created_at",
                "updated_at",
            ],
            vec![
                story.into(),
                format!("story-{n}").into(),
                teller.into(),
                "en".into(),
                "DRAFT".into(),
                1.into(),
                "ANONYMOUS".into(),
                "OBSCURED".into(),
                "COUNTRY".into(),
                user.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await
        .expect("story");
        db.execute(&insert(
            "media_assets",
            &[
                "id",
                "story_id",
                "kind",
                "mime",
                "size_bytes",
                "sha256",
                "storage_key",
                "shows_faces",
                "masks_generation",
                "private",
                "metadata_status",
                "state",
                "created_by",
                "created_at",
                "updated_at",
            ],
            vec![
                media.into(),
                story.into(),
                "IMAGE".into(),
                "image/png".into(),
                10i64.into(),
                "0".repeat(64).into(),
                format!("media/{media}/original.png").into(),
                false.into(),
                0.into(),
                false.into(),
                "CLEANED".into(),
                "READY".into(),
                user.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await
        .expect("media");
        made.push((teller, story, media));
    }
    migration::Migrator::up(&db, None)
        .await
        .expect("record owners migration");

    for ((teller, story, media), owner) in made.into_iter().zip([member_org, PLATFORM_ID]) {
        let teller = storyteller::Entity::find_by_id(teller)
            .one(&db)
            .await
            .expect("read")
            .expect("storyteller kept");
        let story = story::Entity::find_by_id(story)
            .one(&db)
            .await
            .expect("read")
            .expect("story kept");
        let media = media_asset::Entity::find_by_id(media)
            .one(&db)
            .await
            .expect("read")
            .expect("media kept");
        assert_eq!(
            (
                teller.organisation_id,
                story.organisation_id,
                media.organisation_id
            ),
            (owner, owner, owner)
        );
    }
    db.close().await.ok();
}

/// 125 stories in 5 campaigns, all given to one member organisation.
const SHAPE: Shape = Shape {
    campaigns: 5,
    tags: 10,
    storytellers: 20,
    stories: 125,
    media_per_story: 0,
};

#[tokio::test]
async fn a_member_organisations_story_list_costs_the_same_statements_for_20_and_100() {
    let app = spawn_app_with(&[
        ("CHORUS_JOBS_ENABLED", "false"),
        ("CHORUS_RESPONSE_CACHE_BYTES", "0"),
        ("CHORUS_GRAPHQL_MAX_COMPLEXITY", "5000"),
    ])
    .await;
    bench::seed(
        &app.db,
        &app.state.crypto,
        &app.state.config.consent,
        SHAPE,
        clock::now(),
    )
    .await
    .expect("seeded");
    let imix = organisation(&app, "imix", None).await;
    app.db
        .execute(
            &Query::update()
                .table(Alias::new("campaigns"))
                .value(Alias::new("organisation_id"), imix)
                .to_owned(),
        )
        .await
        .expect("campaigns given to IMIX");
    let (_, editor) = member(&app, "editor@imix.test", Role::Editor, imix).await;
    app.state.origins.reload(&app.db).await.expect("origins");

    let mut costs = Vec::new();
    for n in [20, 100] {
        let query = json!({
            "query": format!(
                "{{ editorialStories(first: {n}) {{ nodes {{ id slug state }} }} }}"
            )
        });
        let counted = || async {
            let before = app.state.statements.get();
            let res = app
                .client
                .post(app.url("/graphql"))
                .bearer_auth(&editor)
                .json(&query)
                .send()
                .await
                .expect("sent");
            let body: Value = res.json().await.expect("JSON");
            assert!(body.get("errors").is_none(), "{body}");
            let nodes = body["data"]["editorialStories"]["nodes"]
                .as_array()
                .expect("nodes")
                .len();
            (app.state.statements.get() - before, nodes)
        };
        let (_, _) = counted().await;
        let (cost, nodes) = counted().await;
        assert_eq!(nodes, n);
        eprintln!("a member's editorialStories({n}): {cost} statements");
        costs.push(cost);
    }
    assert_eq!(costs[0], costs[1], "20 and 100 stories cost the same");
}

#[tokio::test]
async fn an_organisation_admin_opens_only_the_campaigns_it_runs_to_submissions() {
    let app = spawn_app().await;
    // A platform admin first: the last one may not be moved to a member.
    app.token_for(ADMIN, Role::Admin).await;
    // LAWRS is no partner: its only keys are its campaigns' submission keys.
    let lawrs = organisation(&app, "lawrs", None).await;
    let imix = organisation(&app, "imix", None).await;
    let (_, lawrs_admin) = member(&app, "lead@lawrs.test", Role::Admin, lawrs).await;
    let (_, lawrs_editor) = member(&app, "editor@lawrs.test", Role::Editor, lawrs).await;
    let (_, imix_admin) = member(&app, "lead@imix.test", Role::Admin, imix).await;
    let ours = create_campaign(&app, &lawrs_admin, "lawrs-voices").await;
    let theirs = create_campaign(&app, &imix_admin, "imix-voices").await;
    let shared = create_campaign(&app, &imix_admin, "imix-shared").await;
    app.gql(
        Some(&imix_admin),
        "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
        json!({ "c": shared, "o": lawrs.to_string() }),
    )
    .await
    .data();
    let create = "mutation($c: ID!) {
        createApiKey(input: { name: \"form\", channel: SUBMISSIONS, campaignIds: [$c] }) {
          apiKey { id channel partnerId } secret
        }
      }";
    let before = audit_count(&app).await;
    // Another organisation's campaign is out of scope; one only shared with
    // LAWRS stays its owner's to open; editors issue no keys.
    for (token, campaign, code) in [
        (&lawrs_admin, &theirs, "NOT_FOUND"),
        (&lawrs_admin, &shared, "FORBIDDEN"),
        (&lawrs_editor, &ours, "FORBIDDEN"),
    ] {
        let res = app.gql(Some(token), create, json!({ "c": campaign })).await;
        assert_eq!(res.code(), code, "{campaign}: {}", res.body);
    }
    assert_eq!(audit_count(&app).await, before, "nothing changed");
    let made = app
        .gql(Some(&lawrs_admin), create, json!({ "c": ours }))
        .await;
    let key = &made.data()["createApiKey"]["apiKey"];
    assert_eq!(key["channel"], "SUBMISSIONS");
    assert!(
        key["partnerId"].is_null(),
        "a submission key has no partner"
    );
    let key_id = id(key);
    // Listed for LAWRS's admin, not IMIX's; IMIX's admin cannot revoke it.
    let list = "{ apiKeys { nodes { id } } }";
    let res = app.gql(Some(&lawrs_admin), list, json!({})).await;
    assert_eq!(res.data()["apiKeys"]["nodes"], json!([{ "id": key_id }]));
    let res = app.gql(Some(&imix_admin), list, json!({})).await;
    assert_eq!(res.data()["apiKeys"]["nodes"], json!([]));
    let revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }";
    let res = app
        .gql(Some(&imix_admin), revoke, json!({ "id": key_id }))
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
    // The key works for its site until LAWRS's admin revokes it.
    let secret = made.data()["createApiKey"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let challenge = crate::submissions::with_key(
        &app,
        Some(&secret),
        crate::submissions::CHALLENGE,
        json!({}),
    )
    .await;
    assert!(challenge.data()["submissionChallenge"]["salt"].is_string());
    let res = app
        .gql(Some(&lawrs_admin), revoke, json!({ "id": key_id }))
        .await;
    assert!(res.data()["revokeApiKey"]["revokedAt"].is_string());
    let challenge = crate::submissions::with_key(
        &app,
        Some(&secret),
        crate::submissions::CHALLENGE,
        json!({}),
    )
    .await;
    assert_eq!(challenge.code(), "UNAUTHENTICATED");
}
