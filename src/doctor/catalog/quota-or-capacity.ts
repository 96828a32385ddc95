import { define, phrase } from "./define.js";

/** Not the service connection: a quota or the region's capacity, not an identity or a role, stops the deployment. */
export default define({
  id: "quota-or-capacity",
  rootCauseClass: "other",
  title: "Not the service connection: a quota or the region's capacity is reached",
  spec: ["S17"],
  signals: [
    phrase(["quotaexceeded", "insufficientquota", "operationnotallowed", "exceeding approved", "quota"], /\b(?:quotaexceeded|insufficientquota|subscriptionquotaexceeded)\b|exceeding approved .{0,60}quota|results in exceeding (?:the )?(?:approved )?quota|quota (?:limit|exceeded)|exceeds? (?:the )?quota/, 16),
    phrase(["skunotavailable", "allocationfailed", "zonalallocationfailed", "overconstrainedallocation", "not available in location", "capacity", "not available in"], /\b(?:skunotavailable|allocationfailed|zonalallocationfailed|overconstrainedallocationrequest)\b|(?:sku|size) .{0,60}(?:is )?(?:currently )?not available in (?:location|region)|insufficient capacity|capacity (?:is )?(?:not available|constrained)/, 16),
    phrase(["maxstorageaccountscount", "maximum", "limit", "cannot create more than", "already contains", "exceeded", "limitreached"], /maxstorageaccountscountpersubscriptionexceeded|(?:reached|exceeded|exceeds) the maximum (?:number|count) of|has reached (?:its|the) limit of|\b\w+(?:limitreached|limitexceeded|countexceeded)\b|cannot create more than \d+|already contains \d+ .{0,60}maximum allowed|the maximum number of .{0,60} allowed/, 12),
    phrase(["regiondoesnotallowprovisioning", "locationnotavailableforresourcetype", "noregisteredproviderfound", "missingsubscriptionregistration", "missingregistrationforlocation", "subscriptionnotregistered", "featurenotsupported", "invalidsubscriptionregistrationstate"], /\b(?:regiondoesnotallowprovisioning|locationnotavailableforresourcetype|noregisteredproviderfound|missingsubscriptionregistration|missingregistrationforlocation|subscriptionnotregistered|featurenotsupported|invalidsubscriptionregistrationstate)\b/, 12),
    // A resource provider the subscription has not registered (Terraform's words), and a size the subscription may not use there.
    phrase(["is not registered", "not allowed in your subscription"], /the provider "?microsoft\.\w+"? is not registered|vm size of \S+ is not allowed in your subscription/, 12),
    // A subscription type (a sponsorship, a student offer) that may not deploy there: ARM's DisallowedOperation.
    phrase("subscription type is not permitted", /the current subscription type is not permitted/, 12),
    // A person's words for it ("we hit the vCPU quota in West Europe").
    phrase(["quota"], /\b(?:hit|reached|exceeded|exceeding|ran out of|running out of|out of) (?:the |our |its |a |my )?[\w -]{0,30}quota\b/, 10),
    // ARM's limits on deployments themselves (Troubleshoot common Azure deployment errors): history, resources per group, groups per deployment.
    phrase(["deploymentquotaexceeded", "resourcequotaexceeded", "toomanytargetresourcegroups"], /\b(?:deploymentquotaexceeded|resourcequotaexceeded|toomanytargetresourcegroups)\b/, 14),
  ],
  cause:
    "The connection signed in and has the role; the subscription's quota (cores, public IPs, storage accounts, a service's own limits) or the region's capacity for the size asked for is what stops the deployment — or the resource provider is not registered in the subscription, which is a subscription setting too.",
  fix: [
    "Read which quota or size the message names; Azure portal > Subscriptions > the subscription > Usage + quotas: request an increase (or az quota update), or deploy a smaller size or to another region.",
    "For SkuNotAvailable / AllocationFailed: az vm list-skus --location <region> --size <size> --all shows restrictions; choose another size, zone or region, or retry later.",
    "For MissingSubscriptionRegistration: az provider register --namespace <Microsoft.X> with an identity that may (Contributor on the subscription).",
  ],
  verify: ["az vm list-usage --location <region> (or the service's usage API) shows room for the deployment.", "Re-run the step; the deployment succeeds."],
  references: ["https://learn.microsoft.com/azure/quotas/quotas-overview", "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-sku-not-available", "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors"],
});
