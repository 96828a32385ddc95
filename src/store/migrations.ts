import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, PostgresAdapter, sql } from "kysely";

/** Whether a Kysely handle talks to PostgreSQL (a few column types differ). */
export const isPostgres = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** An `id` primary key the database numbers: SQLite's `integer autoincrement`, PostgreSQL's `serial`. */
const autoId =
  (db: Kysely<any>) =>
  <T extends string>(table: CreateTableBuilder<T, any>): CreateTableBuilder<T, any> =>
    isPostgres(db) ? table.addColumn("id", "serial", (c) => c.primaryKey()) : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());

/**
 * Migrations live in code (not files) so the compiled package carries them. Each is written with the schema
 * builder, or in SQL that SQLite and PostgreSQL both read (expression and partial indexes), so it runs on both.
 * Never edit a landed migration; add the next one.
 */
const migrations: Record<string, Migration> = {
  "0001-entra": {
    async up(db: Kysely<any>) {
      await db.schema.createTable("meta").addColumn("key", "text", (c) => c.primaryKey()).addColumn("value", "text", (c) => c.notNull()).execute();
      await db.schema
        .createTable("tenants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("default_domain", "text", (c) => c.notNull())
        .addColumn("domains", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("authorization_policies")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("effective_at", "text", (c) => c.notNull())
        .addColumn("changed_at", "text", (c) => c.notNull())
        .addColumn("policy", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("authorization_policies_tenant").on("authorization_policies").columns(["tenant_id", "effective_at"]).execute();
      await db.schema
        .createTable("users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("user_principal_name", "text", (c) => c.notNull())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("mail", "text")
        .addColumn("user_type", "text", (c) => c.notNull())
        .addColumn("home_tenant_id", "text")
        .addColumn("home_user_id", "text")
        .addColumn("account_enabled", "integer", (c) => c.notNull())
        .addColumn("password_hash", "text")
        .addColumn("tokens_valid_from", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("users_upn").on("users").columns(["tenant_id", "user_principal_name"]).unique().execute();
      await db.schema
        .createTable("directory_role_assignments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("role_template_id", "text", (c) => c.notNull())
        .addColumn("directory_scope_id", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("directory_role_assignments_principal").on("directory_role_assignments").columns(["principal_id"]).execute();
      await db.schema
        .createTable("applications")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("app_id", "text", (c) => c.notNull().unique())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("sign_in_audience", "text", (c) => c.notNull())
        .addColumn("identifier_uris", "text", (c) => c.notNull())
        .addColumn("requested_access_token_version", "integer")
        .addColumn("description", "text")
        .addColumn("notes", "text")
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("applications_tenant").on("applications").columns(["tenant_id", "display_name"]).execute();
      await db.schema
        .createTable("password_credentials")
        .addColumn("key_id", "text", (c) => c.primaryKey())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("display_name", "text")
        .addColumn("hint", "text", (c) => c.notNull())
        .addColumn("secret_hash", "text", (c) => c.notNull())
        .addColumn("start_date_time", "text", (c) => c.notNull())
        .addColumn("end_date_time", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("password_credentials_owner").on("password_credentials").columns(["owner_id"]).execute();
      await db.schema
        .createTable("key_credentials")
        .addColumn("key_id", "text", (c) => c.primaryKey())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("display_name", "text")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("usage", "text", (c) => c.notNull())
        .addColumn("key_der", "text", (c) => c.notNull())
        .addColumn("thumbprint_sha1", "text", (c) => c.notNull())
        .addColumn("thumbprint_sha256", "text", (c) => c.notNull())
        .addColumn("start_date_time", "text", (c) => c.notNull())
        .addColumn("end_date_time", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("key_credentials_owner").on("key_credentials").columns(["owner_id"]).execute();
      await db.schema
        .createTable("federated_identity_credentials")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("issuer", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("audiences", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("fic_owner").on("federated_identity_credentials").columns(["owner_id"]).execute();
      await db.schema
        .createTable("service_principals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("app_id", "text", (c) => c.notNull())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("account_enabled", "integer", (c) => c.notNull())
        .addColumn("service_principal_type", "text", (c) => c.notNull())
        .addColumn("app_owner_organization_id", "text", (c) => c.notNull())
        .addColumn("alternative_names", "text", (c) => c.notNull())
        .addColumn("managed_identity_resource_id", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("service_principals_app").on("service_principals").columns(["tenant_id", "app_id"]).unique().execute();
      await db.schema.createIndex("service_principals_mi").on("service_principals").columns(["managed_identity_resource_id"]).execute();
      await db.schema
        .createTable("virtual_machines")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("system_assigned_principal_id", "text")
        .addColumn("user_assigned_resource_ids", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("signing_keys")
        .addColumn("kid", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("private_pem", "text", (c) => c.notNull())
        .addColumn("public_jwk", "text", (c) => c.notNull())
        .addColumn("certificate", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("signing_keys_tenant").on("signing_keys").columns(["tenant_id"]).execute();
      await db.schema
        .createTable("external_issuers")
        .addColumn("issuer", "text", (c) => c.primaryKey())
        .addColumn("jwks", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0002-arm": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("management_groups")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("parent_name", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("subscriptions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("management_group", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("subscriptions_tenant").on("subscriptions").columns(["tenant_id"]).execute();
      await db.schema
        .createTable("resource_groups")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("subscription_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("location", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("managed_by", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("resource_groups_subscription").on("resource_groups").columns(["subscription_id", "name"]).execute();
      await db.schema
        .createTable("resources")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("subscription_id", "text", (c) => c.notNull())
        .addColumn("resource_group_key", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("parent_key", "text")
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("changed_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("resources_group").on("resources").columns(["resource_group_key", "type"]).execute();
      await db.schema.createIndex("resources_subscription").on("resources").columns(["subscription_id"]).execute();
      await db.schema
        .createTable("role_definitions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("role_name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("permissions", "text", (c) => c.notNull())
        .addColumn("assignable_scopes", "text", (c) => c.notNull())
        .addColumn("created_on", "text", (c) => c.notNull())
        .addColumn("updated_on", "text", (c) => c.notNull())
        .addColumn("created_by", "text")
        .execute();
      await db.schema
        .createTable("role_assignments")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("scope_key", "text", (c) => c.notNull())
        .addColumn("subscription_id", "text")
        .addColumn("role_definition_id", "text", (c) => c.notNull())
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("principal_type", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("condition", "text")
        .addColumn("condition_version", "text")
        .addColumn("created_on", "text", (c) => c.notNull())
        .addColumn("updated_on", "text", (c) => c.notNull())
        .addColumn("created_by", "text")
        .addColumn("effective_at", "text", (c) => c.notNull())
        .addColumn("removed_at", "text")
        .addColumn("removal_effective_at", "text")
        .execute();
      await db.schema.createIndex("role_assignments_principal").on("role_assignments").columns(["principal_id", "scope_key"]).execute();
      await db.schema.createIndex("role_assignments_scope").on("role_assignments").columns(["scope_key"]).execute();
      await db.schema.createIndex("role_assignments_subscription").on("role_assignments").columns(["subscription_id"]).execute();
      await db.schema
        .createTable("deployments")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("scope_key", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("operations", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("deployments_scope").on("deployments").columns(["scope_key"]).execute();
    },
  },
  "0003-graph-sessions": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("applications").addColumn("redirect_uris", "text", (c) => c.notNull().defaultTo("{}")).execute();
      await db.schema.alterTable("applications").addColumn("is_fallback_public_client", "integer", (c) => c.notNull().defaultTo(0)).execute();
      await db.schema
        .createTable("owners")
        .addColumn("object_id", "text", (c) => c.notNull())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("owners_pk", ["object_id", "owner_id"])
        .execute();
      await db.schema.createIndex("owners_owner").on("owners").columns(["owner_id"]).execute();
      await db.schema
        .createTable("app_role_assignments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("app_role_id", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("app_role_assignments_principal").on("app_role_assignments").columns(["principal_id"]).execute();
      await db.schema
        .createTable("user_sessions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("account_key", "text", (c) => c.notNull())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("refresh_hash", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_used_at", "text", (c) => c.notNull())
        .addColumn("revoked_at", "text")
        .execute();
      await db.schema.createIndex("user_sessions_refresh").on("user_sessions").columns(["refresh_hash"]).execute();
      await db.schema.createIndex("user_sessions_account").on("user_sessions").columns(["account_key", "created_at"]).execute();
      await db.schema
        .createTable("authorization_codes")
        .addColumn("code_hash", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("redirect_uri", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("code_challenge", "text")
        .addColumn("code_challenge_method", "text")
        .addColumn("nonce", "text")
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("redeemed_at", "text")
        .execute();
    },
  },
  "0004-devops": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("organizations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("federation_issuer", "text", (c) => c.notNull())
        .addColumn("server_mode", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("projects")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("projects_org").on("projects").columns(["organization_id"]).execute();
      await db.schema
        .createTable("devops_identities")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("unique_name", "text", (c) => c.notNull())
        .addColumn("entra_object_id", "text")
        .addColumn("project_id", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("devops_identities_entra").on("devops_identities").columns(["organization_id", "entra_object_id"]).execute();
      await db.schema
        .createTable("group_members")
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("member_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("group_members_pk", ["group_id", "member_id"])
        .execute();
      await db.schema.createIndex("group_members_member").on("group_members").columns(["member_id"]).execute();
      await db.schema
        .createTable("personal_access_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("identity_id", "text", (c) => c.notNull())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("valid_to", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("security_role_assignments")
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("identity_id", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("security_role_assignments_pk", ["scope", "resource_id", "identity_id"])
        .execute();
      await db.schema
        .createTable("security_inheritance")
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("inherit", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("security_inheritance_pk", ["scope", "resource_id"])
        .execute();
      await db.schema
        .createTable("service_endpoints")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("secrets", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("service_endpoints_org").on("service_endpoints").columns(["organization_id"]).execute();
      await db.schema
        .createTable("endpoint_projects")
        .addColumn("endpoint_id", "text", (c) => c.notNull())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        // The first project is the one the connection was created in (its legacy federation subject names it).
        .addColumn("position", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("endpoint_projects_pk", ["endpoint_id", "project_id"])
        .execute();
      await db.schema.createIndex("endpoint_projects_project").on("endpoint_projects").columns(["project_id"]).execute();
      await db.schema
        .createTable("pipeline_permissions")
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("resource_type", "text", (c) => c.notNull())
        .addColumn("resource_id", "text", (c) => c.notNull())
        .addColumn("pipeline_id", "integer", (c) => c.notNull())
        .addColumn("authorized", "integer", (c) => c.notNull())
        .addColumn("authorized_by", "text", (c) => c.notNull())
        .addColumn("authorized_on", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("pipeline_permissions_pk", ["project_id", "resource_type", "resource_id", "pipeline_id"])
        .execute();
      await db.schema
        .createTable("execution_records")
        .$call(autoId(db))
        .addColumn("endpoint_id", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("execution_records_endpoint").on("execution_records").columns(["endpoint_id"]).execute();
      await db.schema
        .createTable("subscription_caches")
        .addColumn("session_id", "text", (c) => c.primaryKey())
        .addColumn("subscriptions", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  // What the services check before writing, the store now guarantees too: no later async step can reopen a race.
  "0005-uniqueness": {
    async up(db: Kysely<any>) {
      await sql`create unique index endpoint_projects_name on endpoint_projects (project_id, lower(name))`.execute(db);
      await sql`create unique index role_assignments_unique on role_assignments (scope_key, principal_id, lower(role_definition_id)) where removed_at is null`.execute(db);
    },
  },
  "0006-pipelines": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("repositories")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("default_branch", "text", (c) => c.notNull())
        .addColumn("folder", "text")
        .addColumn("files", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await sql`create unique index repositories_name on repositories (project_id, lower(name))`.execute(db);
      await db.schema
        .createTable("pipelines")
        .$call(autoId(db))
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("folder", "text", (c) => c.notNull())
        .addColumn("repository_id", "text", (c) => c.notNull())
        .addColumn("yaml_path", "text", (c) => c.notNull())
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("default_pool", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await sql`create unique index pipelines_name on pipelines (project_id, lower(folder), lower(name))`.execute(db);
      await db.schema
        .createTable("runs")
        .$call(autoId(db))
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("pipeline_id", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("runs_pipeline").on("runs").columns(["pipeline_id", "id"]).execute();
      await db.schema.createIndex("runs_project").on("runs").columns(["project_id", "id"]).execute();
      await db.schema
        .createTable("run_logs")
        .addColumn("run_id", "integer", (c) => c.notNull())
        .addColumn("id", "integer", (c) => c.notNull())
        .addColumn("line_count", "integer", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("created_on", "text", (c) => c.notNull())
        .addColumn("last_changed_on", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_logs_pk", ["run_id", "id"])
        .execute();
      await db.schema
        .createTable("agent_pools")
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("agents", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("agent_pools_pk", ["organization_id", "name"])
        .execute();
    },
  },
  // A project's pipeline settings of svcconn's own (how a run meets an unauthorized resource).
  "0007-pipeline-settings": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("pipeline_settings")
        .addColumn("project_id", "text", (c) => c.primaryKey())
        .addColumn("resource_authorization", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0008-retired-refresh-tokens": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("retired_refresh_tokens")
        .addColumn("refresh_hash", "text", (c) => c.primaryKey())
        .addColumn("session_id", "text", (c) => c.notNull())
        .execute();
    },
  },
  // Pipeline variables defined outside the YAML, and "Limit variables that can be set at queue time" (on by default).
  "0009-pipeline-variables": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("pipelines").addColumn("variables", "text", (c) => c.notNull().defaultTo("{}")).execute();
      await db.schema.alterTable("pipeline_settings").addColumn("enforce_settable_var", "integer", (c) => c.notNull().defaultTo(1)).execute();
    },
  },
  // Logs in pages, written once and read in pages; a job's log is made of its steps' logs.
  "0010-run-log-pages": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("run_logs").addColumn("parent_id", "integer").execute();
      await db.schema
        .createTable("run_log_pages")
        .addColumn("run_id", "integer", (c) => c.notNull())
        .addColumn("log_id", "integer", (c) => c.notNull())
        .addColumn("page", "integer", (c) => c.notNull())
        .addColumn("line_count", "integer", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_log_pages_pk", ["run_id", "log_id", "page"])
        .execute();
    },
  },
  // A job's access token ends with its job.
  "0011-ended-jobs": {
    async up(db: Kysely<any>) {
      await db.schema.createTable("ended_jobs").addColumn("job_id", "text", (c) => c.primaryKey()).addColumn("ended_at", "text", (c) => c.notNull()).execute();
    },
  },
  // Parallel jobs per organization: jobs beyond them wait for an agent.
  "0012-parallel-jobs": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("parallel_jobs")
        .addColumn("organization_id", "text", (c) => c.primaryKey())
        .addColumn("microsoft_hosted", "integer", (c) => c.notNull())
        .addColumn("self_hosted", "integer", (c) => c.notNull())
        .execute();
    },
  },
  // Library variable groups, and the Library's default roles for the projects that exist already.
  "0013-variable-groups": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("variable_groups")
        .$call(autoId(db))
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("secrets", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("variable_group_projects")
        .addColumn("group_id", "integer", (c) => c.notNull())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("variable_group_projects_pk", ["group_id", "project_id"])
        .execute();
      await sql`create unique index variable_group_projects_name on variable_group_projects (project_id, lower(name))`.execute(db);
      for (const [group, role] of [["Project Administrators", "Administrator"], ["Contributors", "Creator"], ["Project Valid Users", "Reader"]]) {
        await sql`insert into security_role_assignments (scope, resource_id, identity_id, role)
          select 'distributedtask.library', project_id || '$0', id, ${role} from devops_identities
          where kind = 'group' and project_id is not null and display_name = ${group}`.execute(db);
      }
    },
  },
  "0014-environments": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("environments")
        .$call(autoId(db))
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await sql`create unique index environments_name on environments (project_id, lower(name))`.execute(db);
      await db.schema
        .createTable("environment_deployments")
        .$call(autoId(db))
        .addColumn("environment_id", "integer", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("environment_deployments_by_environment").on("environment_deployments").columns(["environment_id", "id"]).execute();
      // Existing projects get the environment roles a new project has.
      for (const [group, role] of [["Project Administrators", "Administrator"], ["Contributors", "Creator"], ["Project Valid Users", "Reader"]]) {
        await sql`insert into security_role_assignments (scope, resource_id, identity_id, role)
          select 'distributedtask.globalenvironmentreferencerole', project_id, id, ${role} from devops_identities
          where kind = 'group' and project_id is not null and display_name = ${group}`.execute(db);
      }
    },
  },
  "0015-checks-and-approvals": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("check_configurations")
        .$call(autoId(db))
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("check_configurations_by_project").on("check_configurations").columns(["project_id", "id"]).execute();
      await db.schema
        .createTable("approvals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("run_id", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("approvals_by_project").on("approvals").columns(["project_id", "created_at"]).execute();
      await db.schema.createIndex("approvals_by_run").on("approvals").column("run_id").execute();
    },
  },
  "0016-installed-extensions": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("installed_extensions")
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("extension_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("installed_extensions_pk", ["organization_id", "extension_id"])
        .execute();
    },
  },
  "0017-repository-types": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("repositories").addColumn("type", "text", (c) => c.notNull().defaultTo("git")).execute();
    },
  },
  "0018-key-vault-secrets": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("vault_secrets")
        .addColumn("vault_key", "text", (c) => c.notNull())
        .addColumn("name_key", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("ordinal", "integer", (c) => c.notNull())
        .addColumn("sealed_value", "text", (c) => c.notNull())
        .addColumn("attributes", "text", (c) => c.notNull())
        .addColumn("created", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("vault_secrets_pk", ["vault_key", "name_key", "version"])
        .execute();
      await db.schema
        .createTable("vault_deleted_secrets")
        .addColumn("vault_key", "text", (c) => c.notNull())
        .addColumn("name_key", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("deleted_date", "integer", (c) => c.notNull())
        .addColumn("scheduled_purge_date", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("vault_deleted_secrets_pk", ["vault_key", "name_key"])
        .execute();
    },
  },
  "0019-operation-leases": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("operation_leases")
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("lease_until", "bigint", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("operation_leases_pk", ["kind", "id"])
        .execute();
      await db.schema.createIndex("operation_leases_by_expiry").on("operation_leases").column("lease_until").execute();
    },
  },
  "0020-run-build-numbers": {
    async up(db: Kysely<any>) {
      // The build number in a column of its own, unique per pipeline: processes sharing a store cannot both take one.
      await db.schema.alterTable("runs").addColumn("build_number", "text").execute();
      const seen = new Set<string>();
      for (const row of await db.selectFrom("runs").select(["id", "pipeline_id", "body"]).orderBy("id").execute()) {
        const name = String((JSON.parse(row.body) as { name?: unknown }).name ?? "");
        // Two runs a race once numbered alike keep their bodies; only the first holds the number.
        if (!name || seen.has(`${row.pipeline_id}:${name}`)) continue;
        seen.add(`${row.pipeline_id}:${name}`);
        await db.updateTable("runs").set({ build_number: name }).where("id", "=", row.id).execute();
      }
      await db.schema.createIndex("runs_build_number").on("runs").columns(["pipeline_id", "build_number"]).unique().execute();
    },
  },
  "0021-directory-role-effective-at": {
    async up(db: Kysely<any>) {
      // A directory role given through Graph applies after the directory's propagation; one a world declares, at once.
      await db.schema.alterTable("directory_role_assignments").addColumn("effective_at", "text").execute();
      await db.updateTable("directory_role_assignments").set({ effective_at: sql`created_at` }).execute();
    },
  },
  "0022-deleted-items": {
    async up(db: Kysely<any>) {
      // Graph's deleted items: a deleted application or service principal, kept 30 days for a restore.
      await db.schema
        .createTable("deleted_items")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("deleted_at", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("deleted_items_tenant_type").on("deleted_items").columns(["tenant_id", "type"]).execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
