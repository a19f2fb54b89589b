//! Organisations (issue 16, first slice): existing staff and campaigns belong to
//! the platform; platform admins create member organisations and invite their
//! admins; an organisation admin manages only their own people and campaigns;
//! sharing a campaign shows in `sharedWith` and in the scope rule's answer.

use api::{
    auth::{Principal, accounts::By},
    clock,
    organisations::{self, PLATFORM_ID, Scope},
};
use entity::{audit_event, campaign, user};
use migration::{Alias, MigratorTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, EntityTrait, PaginatorTrait, QueryFilter, prelude::Uuid,
};
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, PASSWORD, TestApp, TestDatabase, spawn_app};

const ADMIN: &str = "admin@chorus.test";

/// The organisation's id from a `createOrganisation` answer.
pub(crate) fn id_of(res: &GqlResponse, field: &str) -> String {
    res.data()[field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} has an id: {:?}", res.data()))
        .to_owned()
}

pub(crate) async fn create_org(app: &TestApp, token: &str, slug: &str, name: &str) -> GqlResponse {
    app.gql(
        Some(token),
        "mutation($i: CreateOrganisationInput!) {
           createOrganisation(input: $i) { id slug name kind }
         }",
        json!({ "i": { "slug": slug, "name": name } }),
    )
    .await
}

pub(crate) async fn create_campaign(app: &TestApp, token: &str, slug: &str) -> String {
    let res = app
        .gql(
            Some(token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "slug": slug, "name": slug } }),
        )
        .await;
    id_of(&res, "createCampaign")
}

/// Invites `email` into `organisation` as `token`'s caller, accepts the
/// invitation and signs in; returns the new access token.
pub(crate) async fn invite_and_sign_in(
    app: &TestApp,
    token: &str,
    email: &str,
    role: &str,
    organisation: Option<&str>,
) -> String {
    let res = app
        .gql(
            Some(token),
            "mutation($e: String!, $r: Role!, $o: ID) {
               inviteUser(email: $e, role: $r, organisationId: $o) {
                 token user { organisation { slug } }
               }
             }",
            json!({ "e": email, "r": role, "o": organisation }),
        )
        .await;
    let invite = res.data()["inviteUser"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("invited: {:?}", res.data()))
        .to_owned();
    let accepted = app
        .gql(
            None,
            "mutation($t: String!, $p: String!) { acceptInvite(token: $t, password: $p) { id } }",
            json!({ "t": invite, "p": PASSWORD }),
        )
        .await;
    accepted.data();
    app.login(email, PASSWORD).await.data()["login"]["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn scope_of(app: &TestApp, email: &str) -> Scope {
    let user = api::auth::users::find_by_email(&app.db, email)
        .await
        .expect("read")
        .expect("user");
    let principal = Principal::Staff(api::auth::principal::Staff {
        user_id: user.id,
        email: user.email,
        role: user.role,
        session_id: Uuid::now_v7(),
        organisation_id: user.organisation_id,
    });
    Scope::for_principal(&app.db, &principal)
        .await
        .expect("scope")
}

pub(crate) async fn audit_count(app: &TestApp) -> u64 {
    audit_event::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn the_migration_puts_existing_staff_and_campaigns_in_the_platform_organisation() {
    let database = TestDatabase::new().await;
    let db = Database::connect(&database.url).await.expect("connect");
    migration::Migrator::up(&db, Some(14))
        .await
        .expect("migrations before organisations");
    let (user_id, campaign_id) = (Uuid::now_v7(), Uuid::now_v7());
    let now = clock::now();
    db.execute(
        &Query::insert()
            .into_table(Alias::new("users"))
            .columns(
                [
                    "id",
                    "email",
                    "password_hash",
                    "role",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                user_id.into(),
                "old@chorus.test".into(),
                String::new().into(),
                "EDITOR".into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await
    .expect("an account from before");
    db.execute(
        &Query::insert()
            .into_table(Alias::new("campaigns"))
            .columns(
                [
                    "id",
                    "slug",
                    "name",
                    "description",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                campaign_id.into(),
                "one-day-without-us".into(),
                "One Day Without Us".into(),
                String::new().into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await
    .expect("a campaign from before");

    migration::Migrator::up(&db, None)
        .await
        .expect("organisations migration");

    let user = user::Entity::find_by_id(user_id)
        .one(&db)
        .await
        .expect("read")
        .expect("user kept");
    assert_eq!(user.organisation_id, PLATFORM_ID);
    let campaign = campaign::Entity::find_by_id(campaign_id)
        .one(&db)
        .await
        .expect("read")
        .expect("campaign kept");
    assert_eq!(campaign.organisation_id, PLATFORM_ID);
    let all = organisations::all(&db).await.expect("list");
    assert_eq!(all.len(), 1, "only the platform organisation");
    assert_eq!(all[0].id, PLATFORM_ID);
    assert_eq!(all[0].kind, entity::organisation::Kind::Platform);
    db.close().await.ok();
}

#[tokio::test]
async fn existing_staff_see_the_platform_organisation_and_every_campaign() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, api::auth::Role::Admin).await;
    let editor = app
        .token_for("editor@chorus.test", api::auth::Role::Editor)
        .await;
    let campaign = create_campaign(&app, &editor, "it-takes-a-community").await;

    let me = app
        .gql(
            Some(&editor),
            "{ me { organisation { slug kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me.data()["me"]["organisation"],
        json!({ "slug": "platform", "kind": "PLATFORM" })
    );
    let res = app
        .gql(
            Some(&editor),
            "{ campaigns { nodes { owner { kind } sharedWith { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.data()["campaigns"]["nodes"],
        json!([{ "owner": { "kind": "PLATFORM" }, "sharedWith": [] }])
    );
    assert_eq!(scope_of(&app, "editor@chorus.test").await, Scope::All);
    assert!(
        scope_of(&app, ADMIN)
            .await
            .allows(campaign.parse().expect("uuid"))
    );

    // Readers never learn who runs a campaign.
    let anonymous = app
        .gql(
            None,
            "{ campaigns { nodes { owner { slug } sharedWith { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        anonymous.data()["campaigns"]["nodes"],
        json!([{ "owner": null, "sharedWith": null }])
    );
    // Platform admins still do everything they did.
    let users = app
        .gql(Some(&admin), "{ users { email } }", json!({}))
        .await;
    assert_eq!(users.data()["users"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_platform_admin_creates_an_organisation_and_invites_its_admin() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, api::auth::Role::Admin).await;
    let created = create_org(&app, &admin, "imix", "IMIX").await;
    assert_eq!(
        created.data()["createOrganisation"]["kind"],
        json!("MEMBER")
    );
    let imix = id_of(&created, "createOrganisation");

    let org_admin = invite_and_sign_in(&app, &admin, "lead@imix.test", "ADMIN", Some(&imix)).await;
    let me = app
        .gql(
            Some(&org_admin),
            "{ me { role organisation { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me.data()["me"],
        json!({ "role": "ADMIN", "organisation": { "slug": "imix" } })
    );
    // They see their own organisation only; platform admins see all of them.
    let mine = app
        .gql(Some(&org_admin), "{ organisations { slug } }", json!({}))
        .await;
    assert_eq!(mine.data()["organisations"], json!([{ "slug": "imix" }]));
    let all = app
        .gql(Some(&admin), "{ organisations { slug } }", json!({}))
        .await;
    assert_eq!(
        all.data()["organisations"],
        json!([{ "slug": "imix" }, { "slug": "platform" }])
    );

    // The organisation admin invites a colleague, who lands in IMIX by default.
    let colleague = invite_and_sign_in(&app, &org_admin, "editor@imix.test", "EDITOR", None).await;
    let me = app
        .gql(
            Some(&colleague),
            "{ me { organisation { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(me.data()["me"]["organisation"]["slug"], json!("imix"));

    // A campaign they create is IMIX's, and their scope is exactly IMIX's campaigns.
    let theirs = create_campaign(&app, &colleague, "imix-ambassadors").await;
    let platform_campaign = create_campaign(&app, &admin, "i-am-a-migrant").await;
    let res = app
        .gql(
            Some(&colleague),
            "query($s: String!) { campaign(slug: $s) { owner { slug } } }",
            json!({ "s": "imix-ambassadors" }),
        )
        .await;
    assert_eq!(res.data()["campaign"]["owner"]["slug"], json!("imix"));
    let scope = scope_of(&app, "editor@imix.test").await;
    assert_eq!(
        scope.campaign_ids(),
        Some(&[theirs.parse().expect("uuid")].into())
    );
    assert!(!scope.allows(platform_campaign.parse().expect("uuid")));

    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"organisation.created".to_owned()));
}

#[tokio::test]
async fn an_organisation_admin_cannot_run_the_platform_or_touch_another_organisation() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, api::auth::Role::Admin).await;
    let imix = id_of(
        &create_org(&app, &admin, "imix", "IMIX").await,
        "createOrganisation",
    );
    let lawrs = id_of(
        &create_org(&app, &admin, "lawrs", "LAWRS").await,
        "createOrganisation",
    );
    let imix_admin = invite_and_sign_in(&app, &admin, "lead@imix.test", "ADMIN", Some(&imix)).await;
    let lawrs_admin =
        invite_and_sign_in(&app, &admin, "lead@lawrs.test", "ADMIN", Some(&lawrs)).await;
    let lawrs_campaign = create_campaign(&app, &lawrs_admin, "lawrs-stickers").await;
    let platform_campaign = create_campaign(&app, &admin, "one-day-without-us").await;
    let lawrs_lead = api::auth::users::find_by_email(&app.db, "lead@lawrs.test")
        .await
        .expect("read")
        .expect("user");
    let before = audit_count(&app).await;

    let attempts: Vec<(&str, Value)> = vec![
        (
            "mutation { createOrganisation(input: { slug: \"x\", name: \"X\" }) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { renameOrganisation(id: $id, name: \"Mine now\") { id } }",
            json!({ "id": lawrs }),
        ),
        (
            "mutation($u: ID!, $o: ID!) { setUserOrganisation(userId: $u, organisationId: $o) { id } }",
            json!({ "u": lawrs_lead.id.to_string(), "o": imix }),
        ),
        (
            "mutation($e: String!, $o: ID) { inviteUser(email: $e, role: EDITOR, organisationId: $o) { token } }",
            json!({ "e": "spy@imix.test", "o": lawrs }),
        ),
        (
            "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
            json!({ "c": lawrs_campaign, "o": imix }),
        ),
        (
            "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
            json!({ "c": platform_campaign, "o": imix }),
        ),
        (
            "mutation($c: ID!, $o: ID!) { setCampaignOwner(campaignId: $c, organisationId: $o) { id } }",
            json!({ "c": lawrs_campaign, "o": imix }),
        ),
    ];
    for (query, variables) in attempts {
        let res = app.gql(Some(&imix_admin), query, variables).await;
        assert_eq!(res.code(), "FORBIDDEN", "{query}: {:?}", res.message());
    }
    // Another organisation's people are out of an organisation admin's scope
    // (slice 2): as if they did not exist.
    let res = app
        .gql(
            Some(&imix_admin),
            "mutation($id: ID!) { disableUser(id: $id) { id } }",
            json!({ "id": lawrs_lead.id.to_string() }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND", "{:?}", res.message());
    assert_eq!(audit_count(&app).await, before, "nothing was changed");
    let lead = api::auth::users::find_by_email(&app.db, "lead@lawrs.test")
        .await
        .expect("read")
        .expect("user");
    assert_eq!(lead.organisation_id, lawrs_lead.organisation_id);
    assert!(lead.disabled_at.is_none());
    assert!(
        api::auth::users::find_by_email(&app.db, "spy@imix.test")
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn sharing_a_campaign_shows_in_shared_with_and_widens_the_scope_until_taken_back() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, api::auth::Role::Admin).await;
    let imix = id_of(
        &create_org(&app, &admin, "imix", "IMIX").await,
        "createOrganisation",
    );
    let lawrs = id_of(
        &create_org(&app, &admin, "lawrs", "LAWRS").await,
        "createOrganisation",
    );
    let lawrs_admin =
        invite_and_sign_in(&app, &admin, "lead@lawrs.test", "ADMIN", Some(&lawrs)).await;
    invite_and_sign_in(&app, &admin, "editor@imix.test", "EDITOR", Some(&imix)).await;
    let campaign = create_campaign(&app, &lawrs_admin, "migrants-contribute").await;
    let campaign_id: Uuid = campaign.parse().expect("uuid");
    assert!(!scope_of(&app, "editor@imix.test").await.allows(campaign_id));

    let share = "mutation($c: ID!, $o: ID!) {
                   shareCampaign(campaignId: $c, organisationId: $o) {
                     owner { slug } sharedWith { slug }
                   }
                 }";
    let shared = app
        .gql(
            Some(&lawrs_admin),
            share,
            json!({ "c": campaign, "o": imix }),
        )
        .await;
    assert_eq!(
        shared.data()["shareCampaign"],
        json!({ "owner": { "slug": "lawrs" }, "sharedWith": [{ "slug": "imix" }] })
    );
    assert!(scope_of(&app, "editor@imix.test").await.allows(campaign_id));
    assert!(scope_of(&app, "lead@lawrs.test").await.allows(campaign_id));
    // Sharing again changes nothing.
    let events = audit_count(&app).await;
    app.gql(
        Some(&lawrs_admin),
        share,
        json!({ "c": campaign, "o": imix }),
    )
    .await
    .data();
    assert_eq!(audit_count(&app).await, events);

    let unshared = app
        .gql(
            Some(&lawrs_admin),
            "mutation($c: ID!, $o: ID!) {
               unshareCampaign(campaignId: $c, organisationId: $o) { sharedWith { slug } }
             }",
            json!({ "c": campaign, "o": imix }),
        )
        .await;
    assert_eq!(unshared.data()["unshareCampaign"]["sharedWith"], json!([]));
    assert!(!scope_of(&app, "editor@imix.test").await.allows(campaign_id));

    // A platform admin hands the campaign to IMIX outright.
    let moved = app
        .gql(
            Some(&admin),
            "mutation($c: ID!, $o: ID!) {
               setCampaignOwner(campaignId: $c, organisationId: $o) { owner { slug } }
             }",
            json!({ "c": campaign, "o": imix }),
        )
        .await;
    assert_eq!(
        moved.data()["setCampaignOwner"]["owner"]["slug"],
        json!("imix")
    );
    assert!(scope_of(&app, "editor@imix.test").await.allows(campaign_id));
    assert!(!scope_of(&app, "lead@lawrs.test").await.allows(campaign_id));

    let actions: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::SubjectId.eq(campaign_id))
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "campaign.shared",
            "campaign.unshared",
            "campaign.owner_changed"
        ]
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_its_code_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, api::auth::Role::Admin).await;
    let imix = id_of(
        &create_org(&app, &admin, "imix", "IMIX").await,
        "createOrganisation",
    );
    let campaign = create_campaign(&app, &admin, "we-are-all-migrants").await;
    let unknown = Uuid::now_v7().to_string();
    let before = audit_count(&app).await;

    let duplicate = create_org(&app, &admin, "imix", "Another IMIX").await;
    assert_eq!(duplicate.code(), "CONFLICT");
    let bad_slug = create_org(&app, &admin, "Not A Slug", "X").await;
    assert_eq!(bad_slug.code(), "BAD_USER_INPUT");
    let no_name = create_org(&app, &admin, "blank", "   ").await;
    assert_eq!(no_name.code(), "BAD_USER_INPUT");
    let unknown_partner = app
        .gql(
            Some(&admin),
            "mutation($p: ID!) { createOrganisation(input: { slug: \"p\", name: \"P\", partnerId: $p }) { id } }",
            json!({ "p": unknown }),
        )
        .await;
    assert_eq!(unknown_partner.code(), "NOT_FOUND");

    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
            json!({ "c": campaign, "o": unknown }),
            "NOT_FOUND",
        ),
        (
            "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
            json!({ "c": unknown, "o": imix }),
            "NOT_FOUND",
        ),
        (
            "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
            json!({ "c": campaign, "o": PLATFORM_ID.to_string() }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($c: ID!, $o: ID!) { setCampaignOwner(campaignId: $c, organisationId: $o) { id } }",
            json!({ "c": campaign, "o": "not-an-id" }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($e: String!, $o: ID) { inviteUser(email: $e, role: EDITOR, organisationId: $o) { token } }",
            json!({ "e": "new@chorus.test", "o": unknown }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { renameOrganisation(id: $id, name: \"X\") { id } }",
            json!({ "id": unknown }),
            "NOT_FOUND",
        ),
    ];
    for (query, variables, code) in cases {
        let res = app.gql(Some(&admin), query, variables).await;
        assert_eq!(res.code(), code, "{query}: {:?}", res.message());
    }
    assert_eq!(audit_count(&app).await, before, "nothing was changed");
    assert_eq!(organisations::all(&app.db).await.expect("list").len(), 2);
    assert!(
        api::auth::users::find_by_email(&app.db, "new@chorus.test")
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn the_last_platform_admin_cannot_leave_the_platform() {
    let app = spawn_app().await;
    app.token_for(ADMIN, api::auth::Role::Admin).await;
    let admin = api::auth::users::find_by_email(&app.db, ADMIN)
        .await
        .expect("read")
        .expect("admin");
    let imix = organisations::create(
        &app.db,
        By::Cli,
        organisations::NewOrganisation {
            slug: "imix".into(),
            name: "IMIX".into(),
            partner_id: None,
        },
        clock::now(),
    )
    .await
    .expect("created");
    // An admin of a member organisation does not count as one of the platform's.
    api::auth::accounts::invite_into(
        &app.db,
        By::Cli,
        "lead@imix.test",
        api::auth::Role::Admin,
        None,
        Some(imix.id),
        std::time::Duration::from_secs(3600),
        clock::now(),
    )
    .await
    .expect("invited");
    let err =
        organisations::set_user_organisation(&app.db, By::Cli, admin.id, imix.id, clock::now())
            .await
            .expect_err("refused");
    assert_eq!(err.code(), "CONFLICT");
    let login = app.login(ADMIN, PASSWORD).await;
    let token = login.data()["login"]["accessToken"]
        .as_str()
        .expect("token");
    let res = app
        .gql(
            Some(token),
            "mutation($id: ID!) { disableUser(id: $id) { id } }",
            json!({ "id": admin.id.to_string() }),
        )
        .await;
    assert_eq!(res.code(), "CONFLICT");
}

#[test]
fn chorus_org_create_and_list_and_user_invite_into_an_organisation() {
    use std::process::Stdio;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let database = rt.block_on(TestDatabase::new());
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        crate::cli::chorus(dir.path())
            .args(args)
            .env("CHORUS_DATABASE_URL", &database.url)
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    };
    let created = run(&["org", "create", "--slug", "imix", "--name", "IMIX"]);
    assert!(created.status.success(), "{:?}", created);
    let taken = run(&["org", "create", "--slug", "imix", "--name", "IMIX"]);
    assert_eq!(taken.status.code(), Some(2));
    let list = run(&["org", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        "imix\tMEMBER\tIMIX\nplatform\tPLATFORM\tPlatform\n"
    );
    let invited = run(&[
        "user",
        "invite",
        "--email",
        "lead@imix.test",
        "--role",
        "ADMIN",
        "--organisation",
        "imix",
    ]);
    assert!(invited.status.success(), "{:?}", invited);
    let unknown = run(&[
        "user",
        "invite",
        "--email",
        "x@imix.test",
        "--role",
        "ADMIN",
        "--organisation",
        "nope",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    rt.block_on(async {
        let db = Database::connect(&database.url).await.expect("connect");
        let lead = api::auth::users::find_by_email(&db, "lead@imix.test")
            .await
            .expect("read")
            .expect("invited");
        let imix = organisations::find_by_slug(&db, "imix")
            .await
            .expect("read")
            .expect("created");
        assert_eq!(lead.organisation_id, imix.id);
        db.close().await.ok();
    });
}

#[tokio::test]
async fn owners_and_shares_cost_the_same_statements_for_two_campaigns_as_for_twelve() {
    let app = spawn_app().await;
    let admin = app.token_for(ADMIN, api::auth::Role::Admin).await;
    let imix = id_of(
        &create_org(&app, &admin, "imix", "IMIX").await,
        "createOrganisation",
    );
    let lawrs = id_of(
        &create_org(&app, &admin, "lawrs", "LAWRS").await,
        "createOrganisation",
    );
    let share =
        "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }";
    for n in 0..12 {
        let campaign = create_campaign(&app, &admin, &format!("campaign-{n}")).await;
        let with = if n % 2 == 0 { &imix } else { &lawrs };
        let res = app
            .gql(Some(&admin), share, json!({ "c": campaign, "o": with }))
            .await;
        assert!(res.body["errors"].is_null(), "{}", res.body);
    }

    // Read each page twice: the first read of a kind may warm caches (the
    // session check), the second is the steady cost.
    let cost = |n: usize| {
        let app = &app;
        let admin = &admin;
        async move {
            let query = format!(
                "{{ me {{ organisation {{ slug }} }} campaigns(first: {n}) {{ nodes {{ owner {{ slug }} sharedWith {{ slug }} }} }} }}"
            );
            let mut spent = 0;
            for _ in 0..2 {
                let before = app.state.statements.get();
                let res = app.gql(Some(admin), &query, json!({})).await;
                spent = app.state.statements.get() - before;
                let nodes = res.data()["campaigns"]["nodes"].as_array().cloned();
                assert_eq!(nodes.as_ref().map(Vec::len), Some(n), "{:?}", res.data());
                for node in nodes.unwrap_or_default() {
                    assert_eq!(
                        node["sharedWith"].as_array().map(Vec::len),
                        Some(1),
                        "{node}"
                    );
                }
            }
            spent
        }
    };
    let (two, twelve) = (cost(2).await, cost(12).await);
    assert_eq!(
        two, twelve,
        "owner, sharedWith and me.organisation are read once per request, not per campaign"
    );
}
