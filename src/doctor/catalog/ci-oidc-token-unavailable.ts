import { define, phrase } from "./define.js";

/**
 * Another CI with the same Entra identity (GitHub Actions, `azure/login`): federation fails before Entra is asked,
 * because the job was given no OIDC token to exchange. Its texts name the runner's token variables, never an AADSTS
 * code, so a credential diagnosis has nothing to go on.
 */
export default define({
  id: "ci-oidc-token-unavailable",
  rootCauseClass: "wif_other",
  title: "The CI job got no OIDC token to exchange (GitHub Actions' id-token permission)",
  spec: ["S17", "S19"],
  schemes: ["federation"],
  signals: [
    phrase(["failed to fetch federated token from github", " to id-token"], /failed to fetch federated token from github|give write permissions? to id-token/, 16),
    phrase(["actions_id_token_request_url", "actions_id_token_request_token"], /unable to get actions_id_token_request_(?:url|token) env variable|actions_id_token_request_(?:url|token)\b/, 14),
    phrase(["failed to get id token", "do not have id token field"], /failed to get id token\.? .{0,20}error code ?:|response json body do not have id token field/, 12),
    phrase("id-token", /permissions:? .{0,40}id-token:? ?(?:write|none|read)|id-token: write/, 6),
  ],
  cause:
    "The job asks its runner for an OIDC token to exchange with Microsoft Entra ID, and the runner issues none: on GitHub Actions the workflow or job lacks `permissions: id-token: write` (setting any `permissions` block removes it unless listed), a reusable workflow's caller did not grant it, or the run is a pull request from a fork or from Dependabot, which get no id-token. Nothing reached Entra: the federated credential and the roles are not in question yet.",
  fix: [
    "Grant the token where the login runs: permissions: { id-token: write, contents: read } at the workflow or job level (and in the caller of a reusable workflow).",
    "For pull requests from forks and Dependabot, run the Azure steps only on branches of the repository (if: github.event.pull_request.head.repo.full_name == github.repository), or from a workflow that does not run untrusted code with the token.",
    "Keep azure/login's inputs for federation: client-id, tenant-id and subscription-id (or allow-no-subscriptions: true), and no client secret.",
  ],
  verify: ["The login step prints the federated token's details (issuer, subject claim, audience) and 'Login successful'.", "Re-run the workflow."],
  distinguish: [
    "An AADSTS70021/700213 after the token was issued is the federated credential's issuer or subject (wif-subject-mismatch).",
    "In Azure Pipelines the job's token comes from SYSTEM_OIDCREQUESTURI and System.AccessToken (pipelines-credential-misconfigured).",
  ],
  references: [
    "https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect",
    "https://github.com/Azure/login#login-with-openid-connect-oidc-recommended",
  ],
});
