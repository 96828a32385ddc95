import { expiringWithin } from "./certificate-expiring.js";
import { defineFinding } from "./define.js";
import { secretPlan } from "./secret-expired.js";

export default defineFinding({
  kind: "secret-expiring",
  severity: "medium",
  title: "The connection's newest client secret expires soon",
  explanation: "secret-expired",
  fix: "Rotate the secret before it expires, or convert the connection to workload identity federation.",
  check: (facts) => expiringWithin(facts, false),
  plan: secretPlan,
});
