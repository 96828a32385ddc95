import { defineTask } from "../define.js";

export default defineTask({ runs: ["Bash@3"], source: "microsoft/azure-pipelines-tasks Tasks/BashV3" });
