import { define, phrase } from "./define.js";

/**
 * A database refused the connection's identity after it signed in: Azure SQL names a Microsoft Entra token's
 * principal '<token-identified principal>' and finds no database user for it (or the user lacks the permission).
 * Azure RBAC roles on the server (Owner, SQL DB Contributor) grant nothing inside a database, so the fix is a
 * contained user and a database role, never an Azure role.
 */
export default define({
  id: "database-access-denied",
  rootCauseClass: "authorization_failed_rbac",
  title: "The database refused the service principal: no database user or permission for it",
  spec: ["S13"],
  signals: [
    phrase("token-identified principal", /login failed for user '<token-identified principal>'/, 14),
    phrase("token-identified principal", /server principal "<token-identified principal>" is not able to access the database/, 14),
    phrase("token-identified principal", /<token-identified principal>/, 8),
    // PostgreSQL flexible server: a role that exists but is not the Entra principal's mapping.
    phrase("aad_auth_tokentype_app_", /aad_auth_tokentype_app_(?:user|oid)/, 10),
    // A statement the database user may not run (which user it is, the log's sign-in says).
    phrase(["permission was denied on the object", "permission denied in database"], /the (?:select|insert|update|delete|execute|alter|references|control) permission was denied on the object|(?:create|alter) (?:table|procedure|view|function|schema) permission denied in database/, 7),
    // The server's firewall and an unreachable server read near it: the network's (network-or-firewall).
    phrase(["is not allowed to access the server", "a network-related or instance-specific error"], /is not allowed to access the server|a network-related or instance-specific error occurred/, -20),
  ],
  cause:
    "The connection's identity signed in to Microsoft Entra ID and presented its token to the database server — Azure SQL calls it '<token-identified principal>' — but the database has no user created for that service principal, or its user lacks the permission the statement needs. Roles in Azure (Owner, Contributor, SQL DB Contributor on the server) grant no access inside a database; only a database user and its database roles do.",
  fix: [
    "Sign in to the database as the server's Microsoft Entra admin (Azure portal > SQL server > Microsoft Entra ID shows who it is; set one if none) and create a user for the connection's service principal: CREATE USER [<the application's display name>] FROM EXTERNAL PROVIDER;",
    "Give the user what the deployment needs: ALTER ROLE db_ddladmin ADD MEMBER [<name>]; ALTER ROLE db_datareader ADD MEMBER [<name>]; ALTER ROLE db_datawriter ADD MEMBER [<name>] (db_owner for a DACPAC that changes users or permissions).",
    "If CREATE USER … FROM EXTERNAL PROVIDER cannot find the name, the server's own identity needs the Directory Readers role (or Microsoft Graph User.Read.All, GroupMember.Read.All and Application.Read.All) in Microsoft Entra ID.",
    "PostgreSQL flexible server: as its Entra admin, SELECT * FROM pgaadauth_create_principal('<the application's display name>', false, false); then GRANT the schema's privileges to that role.",
  ],
  verify: [
    "Signed in as the service principal (az login --service-principal …), az account get-access-token --resource https://database.windows.net/ gives a token; sqlcmd -S <server>.database.windows.net -d <database> -G (or Invoke-Sqlcmd -AccessToken) runs SELECT USER_NAME(); and names the application.",
    "Re-run the deployment step.",
  ],
  distinguish: [
    "'Client with IP address … is not allowed to access the server' or 'A network-related or instance-specific error' is the server's firewall or network (network-or-firewall).",
    "'Login failed for user' naming a SQL login (a user name with a password) is the connection string's own credential, not the service connection.",
    "AuthorizationFailed from management.azure.com is an Azure role for a control-plane action (rbac-authorization-failed).",
  ],
  references: [
    "https://learn.microsoft.com/azure/azure-sql/database/authentication-aad-service-principal",
    "https://learn.microsoft.com/azure/azure-sql/database/authentication-aad-configure",
    "https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-manage-azure-ad-users",
    "https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/sql-azure-dacpac-deployment-v1",
  ],
});
