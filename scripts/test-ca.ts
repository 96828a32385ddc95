import { ensureCa } from "../src/server/tls.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: test-ca.ts <dir>");
await ensureCa(dir);
