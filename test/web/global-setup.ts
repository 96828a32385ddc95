import { startServeProcess } from "./serve-process.js";

/** One `svcconn serve` for every browser test (their facts go to the workers through the environment); stopped after. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const server = await startServeProcess();
  process.env.SVCCONN_WEB_FACTS = JSON.stringify(server.facts);
  process.env.SVCCONN_WEB_SPKI = server.spki;
  return server.stop;
}
