import { Button, Combobox, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Dropdown, Field, Option, Spinner, Switch } from "@fluentui/react-components";
import { useState } from "react";
import { type Identity, security } from "../api/security";
import { useLoad } from "../use-load";
import { ErrorBar } from "./error-bar";
import { SimpleTable } from "./simple-table";

/**
 * Who holds which role on a secured resource (`securityroles` API): a connection's own Security tab, or the roles on
 * every connection of a project. An administrator changes a role, adds someone ("+ Add": an identity picker over the
 * organization's people and groups) and, for an item, turns the project's inherited roles on or off.
 */
export function RoleAssignments(props: { scope: string; resource: string; roles: string[]; admin: boolean; inheritable?: boolean }) {
  const { scope, resource, roles, admin } = props;
  const [failure, setError] = useState<string>();
  const [adding, setAdding] = useState(false);
  const listed = useLoad((signal) => security.roleAssignments(scope, resource, signal), [scope, resource]);
  const assignments = listed.data?.value;
  const error = failure ?? listed.error;
  const change = (work: () => Promise<unknown>) => {
    setError(undefined);
    work()
      .then(listed.reload)
      .catch((e: Error) => setError(e.message));
  };
  const assign = (userId: string, roleName: string) => change(() => security.assignRole(scope, resource, userId, roleName));
  const inherits = assignments?.some((a) => a.access === "inherited") ?? false;
  return (
    <>
      <ErrorBar message={error} />
      {!assignments && !error && <Spinner size="tiny" label="Loading security" />}
      {assignments && (
        <>
          {admin && <Button onClick={() => setAdding(true)}>+ Add</Button>}
          {props.inheritable && (
            <Switch
              label="Inherit permissions from the project"
              checked={inherits}
              disabled={!admin}
              onChange={(_e, d) => change(() => security.setInheritance(scope, resource, d.checked))}
            />
          )}
          <SimpleTable
            label="Role assignments"
            columns={["User or group", "Role", "Access"]}
            rows={assignments}
            rowKey={(a) => `${a.identity.id}-${a.access}`}
            cells={(a) => [
              a.identity.displayName,
              admin ? (
                <Dropdown key="role" style={{ minWidth: "9rem" }} aria-label={`Role of ${a.identity.displayName}`} value={a.role.name} selectedOptions={[a.role.name]} onOptionSelect={(_e, d) => assign(a.identity.id, d.optionValue ?? a.role.name)}>
                  {roles.map((r) => (
                    <Option key={r} value={r}>
                      {r}
                    </Option>
                  ))}
                </Dropdown>
              ) : (
                a.role.name
              ),
              a.access === "assigned" ? "Assigned" : "Inherited",
            ]}
          />
        </>
      )}
      {adding && (
        <AddRoleDialog
          roles={roles}
          onCancel={() => setAdding(false)}
          onAdd={(userId, role) => {
            setAdding(false);
            assign(userId, role);
          }}
        />
      )}
    </>
  );
}

/** "+ Add": find a person or group of the organization as one types, and the role to give. */
function AddRoleDialog({ roles, onCancel, onAdd }: { roles: string[]; onCancel: () => void; onAdd: (userId: string, role: string) => void }) {
  const [text, setText] = useState("");
  const [chosen, setChosen] = useState<Identity>();
  const [role, setRole] = useState(roles[0]!);
  // Each keystroke's search replaces the one before (aborted, its answer dropped).
  const search = text.trim();
  const searched = useLoad(search ? (signal) => security.searchIdentities(search, signal) : undefined, [search]);
  const found = search ? (searched.data?.value ?? []) : [];
  const error = searched.error;
  const label = (i: Identity) => `${i.providerDisplayName}${i.properties?.Account?.$value ? ` (${i.properties.Account.$value})` : ""}`;
  return (
    <Dialog open onOpenChange={(_e, d) => !d.open && onCancel()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Add user or group</DialogTitle>
          <DialogContent>
            <Field label="User or group" required>
              <Combobox
                freeform
                placeholder="Search by name or email"
                value={chosen ? label(chosen) : text}
                onChange={(e) => {
                  setChosen(undefined);
                  setText(e.target.value);
                }}
                onOptionSelect={(_e, d) => setChosen(found.find((i) => i.id === d.optionValue))}
              >
                {found.map((i) => (
                  <Option key={i.id} value={i.id} text={label(i)}>
                    {label(i)}
                  </Option>
                ))}
              </Combobox>
            </Field>
            <Field label="Role" required>
              <Dropdown value={role} selectedOptions={[role]} onOptionSelect={(_e, d) => setRole(d.optionValue ?? role)}>
                {roles.map((r) => (
                  <Option key={r} value={r}>
                    {r}
                  </Option>
                ))}
              </Dropdown>
            </Field>
            <ErrorBar message={error} />
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" disabled={!chosen} onClick={() => chosen && onAdd(chosen.id, role)}>
              Add
            </Button>
            <Button onClick={onCancel}>Cancel</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
