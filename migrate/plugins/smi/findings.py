"""Finding codes of the SMI / Linkerd plugin (prefix SMI), declared once each."""

from __future__ import annotations

from migrate.findings import FindingSpec, spec

SPECS: tuple[FindingSpec, ...] = (
    # -- TrafficSplit ---------------------------------------------------------------
    spec("SMI001", "error", "not-converted", "Port of the root Service unknown",
         "A TrafficSplit or ServiceProfile names no port; a GAMMA HTTPRoute needs one on every backendRef. "
         "Neither the root Service nor any backend Service is in the input, so no route was emitted. Convert "
         "the Service manifests together with the mesh objects."),
    spec("SMI002", "warning", "converted-with-change", "Ports taken from the backend Services",
         "The root Service is not in the input; the route covers the ports its backend Services share (the SMI "
         "spec requires the root Service to have the same ports). Check them against the root Service."),
    spec("SMI003", "info", "converted", "Backend without the port leaves the split",
         "The SMI spec: a backend Service without the port of the root Service gets no traffic on that port. "
         "The route for that port lists the other backends only, which is the same behaviour."),
    spec("SMI004", "info", "converted", "Quantity weights written as whole numbers",
         "TrafficSplit v1alpha1 and ServiceProfile dstOverrides weights are Kubernetes quantities (\"500m\"); "
         "Linkerd compares their milli-values. The backendRefs carry the same ratios as whole numbers."),
    spec("SMI005", "warning", "converted-with-change", "Weights rescaled to the Gateway API maximum",
         "Gateway API weights go up to 1,000,000; larger ones were scaled down and rounded, so the ratios may "
         "differ slightly."),
    spec("SMI006", "warning", "converted", "Every weight is zero: the Service itself gets the traffic",
         "No backend has a weight above zero. SMI leaves this case unspecified; Linkerd's proxy drops weight-0 "
         "destinations and, with none left, sends requests to the Service the client called. The rule sends them "
         "there too (Gateway API would answer HTTP 500 to a rule whose backendRefs all have weight 0)."),
    spec("SMI007", "info", "converted", "Split limited to HTTPRouteGroup matches",
         "spec.matches: requests that match a referenced HTTPRouteGroup match are split among the backends; the "
         "others go to the root Service, as the SMI spec says. The route has one rule per match and a catch-all "
         "rule to the root Service (a Service with an HTTPRoute rejects what no rule matches). Linkerd never read "
         "spec.matches: it split every request."),
    spec("SMI008", "warning", "not-converted", "Match reference not resolved",
         "spec.matches names an HTTPRouteGroup that is not in the input (or a kind other than HTTPRouteGroup). It "
         "selects no request here, so unmatched traffic goes to the root Service. Convert the HTTPRouteGroup with "
         "the TrafficSplit."),
    spec("SMI009", "warning", "converted-with-change", "Matches ignored: Linkerd splits every request",
         "A ServiceProfile targets the same Service, so the mesh is Linkerd, whose SMI adaptor copies only the "
         "backends into the profile's dstOverrides and never reads spec.matches. The route splits every request, "
         "as Linkerd did; requests the matches would have selected are not treated differently."),
    spec("SMI010", "warning", "not-converted", "HTTPRouteGroup match part not expressible",
         "A method outside the Gateway API list, an invalid header name or a malformed match could not be written "
         "as an HTTPRouteMatch; that match is left out, so the requests it selected go to the root Service."),
    spec("SMI011", "info", "not-converted", "HTTPRouteGroup not used by a TrafficSplit",
         "An HTTPRouteGroup only describes traffic. No TrafficSplit in the input references it; if a TrafficTarget "
         "(access control) does, convert that to your mesh's authorization policy separately."),
    spec("SMI012", "warning", "converted-with-change", "Regular-expression path match",
         "Path regexes become RegularExpression matches (implementation-specific support and dialect). "
         "HTTPRouteGroup regexes were anchored at the start only (a \".*\" is appended); ServiceProfile regexes "
         "at both ends. Gateway API ranks overlapping rules by method and header count before rule order, while "
         "Linkerd took the first matching route: check requests several patterns match."),
    spec("SMI013", "info", "converted", "HTTPRouteGroup converted into the TrafficSplit's route",
         "Its matches are the rules of the route made from the TrafficSplit that references it."),
    # -- ServiceProfile -------------------------------------------------------------
    spec("SMI020", "info", "converted", "dstOverrides converted to weighted backendRefs",
         "Linkerd sent requests for the Service to the dstOverrides authorities by weight; the route's rules list "
         "the same Services with the same ratios. An authority without a port used the port the client called."),
    spec("SMI021", "warning", "not-converted", "dstOverrides authority is not a cluster Service",
         "The authority does not name <service>.<namespace>.svc.<cluster-domain>; a backendRef can only name a "
         "Service. It is left out of the split; its share goes to the other backends."),
    spec("SMI022", "info", "converted", "dstOverrides come from the TrafficSplit",
         "A TrafficSplit targets the same Service: Linkerd's SMI adaptor overwrote the profile's dstOverrides with "
         "the TrafficSplit's backends. The route uses the TrafficSplit's backends and the profile's routes."),
    spec("SMI023", "warning", "not-converted", "TrafficSplit ignored: profile opts out of the SMI adaptor",
         "The ServiceProfile of the same Service carries smi.linkerd.io/skip, so Linkerd's SMI adaptor never copied "
         "this TrafficSplit into it; the profile's own dstOverrides (or the Service itself) got the traffic, and "
         "the route does the same."),
    spec("SMI024", "info", "converted", "Route timeout converted to timeouts.request",
         "A ServiceProfile route timeout bounded the whole request, retries included (Linkerd answered 504). It "
         "becomes the rule's timeouts.request (extended: HTTPRouteRequestTimeout), which Linkerd implements."),
    spec("SMI025", "warning", "not-converted", "Route condition not expressible",
         "The condition uses `not`, or requires two different path regexes at once; HTTPRouteMatch can say neither. "
         "No rule is made for this route, so its timeout does not apply and requests it matched follow the next "
         "rule that matches."),
    spec("SMI026", "warning", "not-converted", "Retries not emitted (experimental channel)",
         "isRetryable made Linkerd retry failed requests of the route within the profile's retry budget. HTTPRoute "
         "retries (rule.retry) and retry budgets (XBackendTrafficPolicy retryConstraint) exist only in the "
         "experimental channel and are not emitted; the message gives the equivalent. Linkerd also reads the "
         "retry.linkerd.io/http annotation on an HTTPRoute."),
    spec("SMI027", "info", "not-converted", "Response classes not converted",
         "responseClasses only told Linkerd which responses count as failures, for per-route success-rate metrics "
         "and for deciding what to retry. Gateway API has no equivalent; traffic is not affected."),
    spec("SMI028", "info", "not-converted", "Route used for metrics only",
         "A ServiceProfile route without timeout only named requests for Linkerd's per-route metrics. Where the "
         "profile has timeouts, the route keeps its rule (named after it) so rule order is preserved; otherwise "
         "it needs no rule."),
    spec("SMI029", "warning", "not-converted", "opaquePorts not converted",
         "opaquePorts turned off Linkerd's protocol detection for those ports. Set the config.linkerd.io/opaque-ports "
         "annotation (or appProtocol linkerd.io/opaque) on the Service instead. An HTTPRoute does not govern opaque "
         "(TCP) traffic, so a split emitted for such a port needs a TCPRoute instead."),
    spec("SMI030", "warning", "not-converted", "ServiceProfile does not name a cluster Service",
         "The profile's name is not <service>.<namespace>.svc.<cluster-domain> (an external profile, or a typo). "
         "A GAMMA route attaches to a Service only; nothing was emitted for it."),
    spec("SMI031", "info", "note", "Remove the ServiceProfile when applying the route",
         "Linkerd uses a Service's ServiceProfile (routes, timeouts, retries, dstOverrides) in preference to "
         "HTTPRoutes and route annotations; delete the profile (and any TrafficSplit of the Service) when applying "
         "the output, or the route will not take effect."),
    spec("SMI032", "info", "not-converted", "Annotation not carried over",
         "gateway-migrate does not copy annotations of mesh objects to the routes. kubectl's last-applied record "
         "and tool annotations describe the old object only."),
    spec("SMI033", "info", "converted", "Client-side ServiceProfile becomes a consumer route",
         "A ServiceProfile in another namespace than its Service applied only to clients in its own namespace, "
         "replacing the Service's own profile for them. A GAMMA consumer route (in the client namespace) does the "
         "same."),
    spec("SMI034", "warning", "not-converted", "Route timeout not carried over",
         "The route has a timeout but no rule could be made for it (see the other findings on the route); the "
         "timeout does not apply."),
)

SPECS += (
    spec("SMI014", "warning", "not-converted", "Another TrafficSplit targets the same Service",
         "Two TrafficSplits name the same root Service; Linkerd's adaptor let the last one written win, other "
         "meshes merge or reject them. The first by name is converted; this one is not."),
)
