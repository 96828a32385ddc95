/**
 * Replaces secret values with `***` in log lines and issues, as the agent's secret masker does: the value itself,
 * and the encodings the agent also masks — JSON-escaped, URI-escaped (`Uri.EscapeDataString`), backslash-escaped
 * and base64 (microsoft/azure-pipelines-agent HostContext.cs value encoders, Worker.cs for base64). Base64 is masked
 * wherever the secret sits in the encoded text: at each of the three byte alignments, the characters that depend on
 * the secret alone.
 */
export class SecretMasker {
  private readonly secrets = new Set<string>();
  private ordered: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    // Multi-line secrets (certificates) are masked line by line, as the agent registers them.
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const trimmed = part.trim();
      if (trimmed.length < 3) continue;
      for (const form of encodings(trimmed)) if (form.length >= 3) this.secrets.add(form);
    }
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.ordered) if (out.includes(secret)) out = out.split(secret).join("***");
    return out;
  }
}

/** A secret and the forms the agent masks too. */
function encodings(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), secret.replace(/\\/g, "\\\\")]);
  // base64 is masked only for secrets long enough that its inner characters are not common text.
  if (secret.length >= 6) for (const form of base64Forms(secret)) forms.add(form);
  return [...forms];
}

/**
 * The base64 characters determined by `secret` alone when it starts at byte offset 0, 1 or 2 of a group: any
 * base64 text that encodes the secret contains one of them.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const out: string[] = [];
  for (const shift of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const first = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * (shift + bytes.length)) / 6);
    const inner = encoded.slice(first, end);
    if (inner.length >= 4) out.push(inner, inner.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return out;
}
