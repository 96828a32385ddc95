import { nameBasedGuid } from "../../core/ids.js";
import { ARM_APP_ID, AZURE_DEVOPS_APP_ID, GRAPH_APP_ID } from "../token/token-audiences.js";

/** Microsoft applications with a service principal in every tenant; their object ids are fixed per tenant. */
export const FIRST_PARTY_SERVICE_PRINCIPALS = [
  { appId: GRAPH_APP_ID, displayName: "Microsoft Graph" },
  { appId: ARM_APP_ID, displayName: "Windows Azure Service Management API" },
  { appId: AZURE_DEVOPS_APP_ID, displayName: "Azure DevOps" },
];

export const firstPartyServicePrincipalId = (tenantId: string, appId: string): string => nameBasedGuid("first-party-sp", tenantId, appId);

/**
 * Public clients Microsoft registers everywhere; users sign in through them (the Azure CLI, Azure PowerShell,
 * Visual Studio, the Azure DevOps web client). They accept loopback redirect URIs on any port.
 */
export const FIRST_PARTY_PUBLIC_CLIENTS: Record<string, string> = {
  "04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Microsoft Azure CLI",
  "1950a258-227b-4e31-a9cf-717495945fc2": "Microsoft Azure PowerShell",
  "872cd9fa-d31f-45e0-9eab-6e460a02d1f1": "Visual Studio",
  [AZURE_DEVOPS_APP_ID]: "Azure DevOps",
};

/**
 * Microsoft Graph application permissions (app roles) svcconn models, with their real ids. App-only callers hold
 * them through app role assignments to the Microsoft Graph service principal; tokens list them in `roles`.
 */
export const GRAPH_APP_ROLES: Record<string, string> = {
  "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
  "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
  "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
  "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
  "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
  "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
  "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
  "Policy.ReadWrite.Authorization": "fb221be6-99f2-473f-bd32-01c6a0e9ca3b",
  "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
  "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
};
export const GRAPH_APP_ROLE_NAMES: Record<string, string> = Object.fromEntries(Object.entries(GRAPH_APP_ROLES).map(([name, id]) => [id, name]));

/** Delegated scopes a user token carries when a client asks for `{resource}/.default`. */
export const DEFAULT_DELEGATED_SCOPES: Record<string, string> = {
  [GRAPH_APP_ID]: "Application.ReadWrite.All Directory.AccessAsUser.All Policy.ReadWrite.Authorization User.Read",
};
export const DEFAULT_SCOPE = "user_impersonation";
