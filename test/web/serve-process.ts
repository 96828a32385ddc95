import { spawn } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "node:tls";

/** The SHA-256 of the server certificate's public key, which Chromium is told to accept (the local CA is not in its store). */
function spkiOf(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((done, failed) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false, servername: "localhost" }, () => {
      // The SubjectPublicKeyInfo, whatever the key type (Node's `pubkey` is the bare EC point for an EC key).
      const der = new X509Certificate(socket.getPeerCertificate().raw).publicKey.export({ type: "spki", format: "der" });
      socket.end();
      done(createHash("sha256").update(der).digest("base64"));
    });
    socket.once("error", failed);
  });
}

export interface ServeProcess {
  facts: Record<string, string>;
  spki: string;
  stop: () => Promise<void>;
}

/** `svcconn serve` in its own process: demo world, free ports on 127.0.0.1, a new data folder, no propagation delays. */
export async function startServeProcess(): Promise<ServeProcess> {
  const root = resolve(import.meta.dirname, "../..");
  const data = mkdtempSync(join(tmpdir(), "svcconn-web-"));
  const caDir = process.env.SVCCONN_TEST_CA_DIR ? ["--ca-dir", process.env.SVCCONN_TEST_CA_DIR] : [];
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--json", "--ports", "auto", "--data", data, "--rbac-delay", "0", "--directory-delay", "0", ...caDir], {
    cwd: root,
    env: { ...process.env, SVCCONN_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const facts = await new Promise<Record<string, string>>((ready, failed) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) ready(JSON.parse(line));
    });
    child.once("exit", (code) => failed(new Error(`svcconn serve exited with ${code} before it was ready`)));
  });
  return {
    facts,
    spki: await spkiOf(facts.devops!),
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((closed) => child.once("exit", closed));
      rmSync(data, { recursive: true, force: true });
    },
  };
}
