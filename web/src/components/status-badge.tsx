import { Badge } from "@fluentui/react-components";
import { type ServiceEndpoint, statusOf } from "../model";

export function StatusBadge({ endpoint }: { endpoint: ServiceEndpoint }) {
  const status = statusOf(endpoint);
  const color = status === "Ready" ? "success" : status === "Failed" ? "danger" : "informative";
  return (
    <Badge appearance="tint" color={color}>
      {status}
    </Badge>
  );
}
