// Loaded by `svcconn env` through NODE_OPTIONS (--import): Node 20's built-in fetch reads no proxy variables, so
// clients built on it (msal-node 5, the Microsoft Graph client) would go straight to Microsoft's hosts. This sets
// fetch's global dispatcher to one that follows HTTPS_PROXY, HTTP_PROXY and NO_PROXY (undici's EnvHttpProxyAgent).
import { EnvHttpProxyAgent, setGlobalDispatcher } from "undici";

// undici marks the agent experimental and says so on every start; the user's command should not print it.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (typeof rest[0] === "object" ? rest[0]?.code === "UNDICI-EHPA" : rest[1] === "UNDICI-EHPA") return;
  return emitWarning.call(process, warning, ...rest);
};
setGlobalDispatcher(new EnvHttpProxyAgent());
process.emitWarning = emitWarning;
