/** Replaces secret values with `***` in log lines and issues, as the agent's secret masker does. */
export class SecretMasker {
  private readonly secrets = new Set<string>();
  private ordered: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    // Multi-line secrets (certificates) are masked line by line, as the agent registers them.
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const trimmed = part.trim();
      if (trimmed.length < 3 || this.secrets.has(trimmed)) continue;
      this.secrets.add(trimmed);
    }
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.ordered) if (out.includes(secret)) out = out.split(secret).join("***");
    return out;
  }
}
