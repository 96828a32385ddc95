import tl from "azure-pipelines-task-lib/task.js";
import { ConnectionCredentials } from "../lib/arm-credentials.js";

/**
 * AzureFileCopy@4, one of the task versions Microsoft lists without workload identity federation support
 * (docs/reference/pipelines.md §5.2: "use v6"). What svcconn reproduces is its authentication: the Azure sign-in
 * the task makes with the connection, then AzCopy's login, which in v4 knows only service principals and managed
 * identities and throws the task's own `UnsupportedAuthScheme` text for a workload identity connection
 * (Tasks/AzureFileCopyV4/Utility.ps1). svcconn has no Azure Storage data plane, so with the other schemes the task
 * stops after signing in, saying so.
 */
async function run(): Promise<void> {
  const connection = tl.getInput("ConnectedServiceNameARM", true) ?? "";
  const credentials = new ConnectionCredentials(connection);
  await credentials.getToken();
  const source = tl.getInput("SourcePath", true) ?? "";
  const storage = tl.getInput("StorageAccountRM", true) ?? "";
  const container = tl.getInput("ContainerName", false) ?? "";
  const prefix = tl.getInput("BlobPrefix", false) ?? "";
  const scheme = credentials.scheme;
  if (scheme !== "ServicePrincipal" && scheme !== "ManagedServiceIdentity") throw `Unsupported authentication scheme '${scheme}' for endpoint.`;
  console.log(`Uploading files from source path: '${source}' to storage account: '${storage}' in container: '${container}' with blob prefix: '${prefix}'`);
  throw `Upload to container: '${container}' in storage account: '${storage}' with blob prefix: '${prefix}' failed with error: 'svcconn does not emulate the Azure Storage blob service.'`;
}

run().then(
  () => tl.setResult(tl.TaskResult.Succeeded, ""),
  (error) => tl.setResult(tl.TaskResult.Failed, error instanceof Error ? error.message : String(error)),
);
