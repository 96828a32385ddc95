/**
 * ARM's matching of an operation against a role's permissions: case-insensitive, `*` spans any text, and a block
 * grants what its actions match minus what its notActions match (a notAction is not a deny). Shared by the
 * resource plane, which enforces it, and the doctor, which predicts it from role definitions it reads.
 */
const patternCache = new Map<string, RegExp>();
function pattern(text: string): RegExp {
  let re = patternCache.get(text);
  if (!re) {
    re = new RegExp(`^${text.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
    patternCache.set(text, re);
  }
  return re;
}

export interface PermissionBlock {
  actions: string[];
  notActions: string[];
}

export function permissionsGrant(permissions: PermissionBlock[], action: string): boolean {
  return permissions.some((p) => p.actions.some((a) => pattern(a).test(action)) && !p.notActions.some((n) => pattern(n).test(action)));
}

export interface DataPermissionBlock {
  dataActions: string[];
  notDataActions: string[];
}

/** The same matching for data actions (Key Vault's secrets, storage blobs): dataActions minus notDataActions. */
export function dataPermissionsGrant(permissions: DataPermissionBlock[], dataAction: string): boolean {
  return permissionsGrant(permissions.map((p) => ({ actions: p.dataActions, notActions: p.notDataActions })), dataAction);
}
