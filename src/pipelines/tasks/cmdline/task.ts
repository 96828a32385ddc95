import { defineTask } from "../define.js";

export default defineTask({ runs: ["CmdLine@2"], source: "microsoft/azure-pipelines-tasks Tasks/CmdLineV2" });
