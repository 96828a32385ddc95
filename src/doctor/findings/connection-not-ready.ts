import { explain } from "../explain.js";
import { defineFinding } from "./define.js";

/** The diagnosis of a connection's stored failure, when explain names one with some confidence. */
function storedFailureDiagnosis(message: string | null | undefined): string | undefined {
  if (!message) return undefined;
  const explained = explain(message);
  return explained.id === "unknown" || explained.id === "no-failure-found" || explained.uncertain ? undefined : explained.id;
}

export default defineFinding({
  kind: "connection-not-ready",
  severity: "high",
  title: "The connection failed or is not ready",
  explanation: "jwt-acquisition-failed",
  fix: "Edit the connection, Verify, and Save it again; its operation status names what failed (the explanation is that message's diagnosis when explain recognises it).",
  check: ({ connection: c }) => {
    if (c.isReady) return null;
    const explanation = storedFailureDiagnosis(c.operationMessage);
    return { evidence: { isReady: c.isReady, operationStatus: { state: c.operationState, statusMessage: c.operationMessage } }, ...(explanation ? { explanation } : {}) };
  },
});
