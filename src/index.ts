/** svcconn as a library: start the emulator in process (like Azurite), or use its parts. */
export { startServer, type StartOptions, type ReadyFacts, type RunningServer } from "./server/start.js";
export { DEMO, DEMO_WORLD_YAML } from "./world/demo.js";
export { explain, assistantPrompt, type Explanation } from "./doctor/explain.js";
export { CATALOG, type Diagnosis } from "./doctor/catalog/index.js";
export { scan, type ScanOptions, type ScanReport } from "./doctor/scan/scan.js";
export type { Finding, FindingDefinition, Severity } from "./doctor/findings/define.js";
export { FINDING_KINDS, FINDINGS } from "./doctor/findings/index.js";
export type { ScanTarget } from "./doctor/scan/target.js";
export type { FixTarget } from "./doctor/fix/target.js";
export { planFixes, planRevert, applyFixes, type FixPlan, type FixOutcome } from "./doctor/fix/plan.js";
export { toSarif } from "./doctor/scan/sarif.js";
export { toHtml } from "./doctor/scan/html.js";
export { sdkDoctorTarget, type SdkDoctorTargetOptions } from "./clients/doctor-target.js";
