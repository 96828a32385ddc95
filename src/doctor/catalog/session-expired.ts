import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "session-expired",
  rootCauseClass: "session_token_expired",
  title: "Your sign-in session expired: no valid access or refresh token",
  spec: ["S5"],
  signals: [
    phrase("azure cli auth tokens", /no valid \(unexpired\) azure cli auth tokens found/, 14),
    phrase("failed to obtain an access token", /failed to obtain an access token/, 10),
    phrase("refresh token", /(?:valid )?refresh token (?:was not|wasn't|was n't|could not be|not) found/, 12),
    phrase("refresh token", /refresh token (?:has )?expired/, 10),
    phrase("refresh token", /no (?:valid )?refresh token/, 12),
    aadsts(700082, 14),
    aadsts(70008, 12),
    aadsts(50173, 12),
    aadsts(50133, 10),
    aadsts(50132, 10),
    // The session no longer meets the tenant's sign-in policy (Conditional Access): multi-factor authentication
    // required or to enrol, its proof expired, a sign-in frequency, a managed or compliant device. Signing in again,
    // meeting the policy, is the fix, as for an expired session.
    aadsts(70043, 12),
    aadsts(50076, 12),
    aadsts(50079, 12),
    aadsts(50074, 12),
    aadsts(50072, 12),
    aadsts(50078, 12),
    aadsts(50158, 10),
    aadsts(53000, 10),
    aadsts(53001, 10),
    aadsts(530003, 10),
    // A blocked sign-in: a person's (sign in from where the policy allows) or a workload identity's (see ambiguities).
    aadsts(53003, 8),
    phrase("inactive", /was inactive for/, 6),
    phrase("grant", /grant (?:has )?expired/, 6),
    phrase("interaction_required", /interaction_required/, 3),
    phrase(" in again", /(?:sign|log) (?:out and )?(?:back )?in again/, 3),
    // A person's words: their own token or session lapsed, and signing out and in again (or a private window) fixed it.
    phrase(["token", "session", "out and", "out of"], /\b(?:my|our|the user's|your) (?:azure devops |azure |aad |entra )?(?:sign-?in |login )?(?:token|session) (?:is |was |has |had )?(?:expired|timed out|stale)|(?:sign(?:ing)?|log(?:ging)?) ?out (?:of (?:azure devops|the portal|azure) )?and (?:back )?in (?:again )?(?:fixed|solved|resolved)/, 8),
    // The tasks' words for a service principal's token: a connection's credential, not a person's session.
    phrase(["service principal used is valid", "access token for azure"], /verify if the service principal used is valid|could not (?:fetch|retrieve) (?:an )?access token for azure/, -8),
  ],
  cause:
    "Azure DevOps acts for you with your own Microsoft Entra session. That session's refresh token expired (after inactivity) or was revoked (password change, sign-out everywhere), so no access token can be obtained to create the connection or list subscriptions. Or the tenant's Conditional Access now asks more of the sign-in than the session proved (multi-factor authentication, a recent sign-in, a managed device).",
  fix: [
    "Sign out of Azure DevOps.",
    "Open an InPrivate/incognito window, go to https://dev.azure.com and sign in again with the account that has access to the subscription, completing multi-factor authentication if asked (from a device the policy accepts).",
    "Select the organization and project, then create or edit the service connection again.",
  ],
  verify: [
    "The subscription list loads in the new service connection dialog, and the connection saves and reaches Ready.",
  ],
  ambiguities: [
    {
      when: /aadsts\s?53003|error_codes"?\s*:\s*\[\s*53003\b/,
      unless: /\b(?:user|account|sign in again|interactive)\b/,
      reason: "Conditional Access blocked the sign-in: a person's session (sign in again from a device and place the policy allows) or, in a pipeline, the connection's own identity (a Conditional Access policy for workload identities).",
      checks: ["Microsoft Entra admin center > Sign-in logs (or Service principal sign-ins) for the correlation id: which identity was blocked, and by which policy."],
    },
  ],
  references: ["https://learn.microsoft.com/azure/devops/pipelines/release/azure-rm-endpoint#failed-to-obtain-an-access-token-or-a-valid-refresh-token-wasnt-found"],
});
