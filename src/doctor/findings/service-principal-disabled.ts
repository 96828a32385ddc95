import { planBase } from "../fix/steps.js";
import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "service-principal-disabled",
  severity: "critical",
  title: "The connection's service principal is disabled",
  explanation: "app-disabled",
  fix: "Enable it: Enterprise applications > the app > Properties > Enabled for users to sign-in = Yes (PATCH servicePrincipals accountEnabled=true).",
  check: async (facts) => {
    const principal = await facts.principal();
    if (!principal || principal === "missing" || principal.accountEnabled) return null;
    return { evidence: { servicePrincipal: principal.objectId, accountEnabled: false }, application: (await facts.found())!.ref };
  },
  plan: (f) => {
    const sp = f.evidence.servicePrincipal;
    return { ...planBase(f), summary: `Enable the service principal of '${f.connection?.name}'`, steps: [{ call: `PATCH https://graph.microsoft.com/v1.0/servicePrincipals/${sp}`, before: { accountEnabled: false }, after: { accountEnabled: true }, run: (t) => t.enableServicePrincipal(sp) }] };
  },
});
