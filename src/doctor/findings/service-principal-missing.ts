import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "service-principal-missing",
  severity: "critical",
  title: "The connection's application has no service principal in the tenant",
  explanation: "service-principal-missing",
  fix: "Create the service principal again (az ad sp create --id <appId>) and give it its role.",
  check: async (facts) => {
    if ((await facts.principal()) !== "missing") return null;
    return { evidence: { appId: facts.connection.appId }, application: (await facts.found())!.ref };
  },
});
