"""Finding codes of the Istio plugin (prefix IST), declared once each.

Ranges: IST00x general, IST01x Gateway, IST03x VirtualService matches, IST05x
VirtualService actions, IST07x mesh (GAMMA), IST09x DestinationRule.
"""

from __future__ import annotations

from migrate.findings import FindingSpec, spec

FINDINGS: tuple[FindingSpec, ...] = (
    # -- general --------------------------------------------------------------------------
    spec("IST001", "warning", "not-converted", "Istio field not converted",
         "Gateway API has no equivalent for this field; what it did is not carried over. The message gives the "
         "field's note from mappings/istio.yaml."),
    spec("IST002", "warning", "not-converted", "Unknown Istio field",
         "The field is not part of the Istio networking API this plugin knows (a typo, or a newer release); "
         "it is ignored."),
    spec("IST003", "info", "converted", "Istio field carried over as written",
         "Informational: the field was read and needs no Gateway API counterpart (names used only in Istio's "
         "stats, or defaults)."),
    spec("IST004", "warning", "converted-with-change", "Istio retried failed requests by default",
         "Istio retries every HTTP request by default (attempts 2, retryOn connect-failure,refused-stream,"
         "unavailable,cancelled, from MeshConfig defaultHttpRetryPolicy), and honours http[].retries. Retries "
         "exist in Gateway API only in the experimental channel (HTTPRouteRule.retry); standard-channel output "
         "does not retry unless the implementation does so on its own. The message gives the experimental "
         "equivalent, which is not emitted."),
    # -- Gateway ---------------------------------------------------------------------------
    spec("IST010", "info", "converted-with-change", "Istio Gateway selector: the deployment model changes",
         "An Istio Gateway configures existing proxy Pods picked by its selector (e.g. istio: ingressgateway). A "
         "Gateway API Gateway is itself the proxy: the implementation (for Istio, gatewayClassName istio) "
         "deploys a new Deployment and Service with their own address. Point DNS to it, or pin the address."),
    spec("IST011", "info", "converted", "TLS Secret referenced in the gateway workload's namespace",
         "Istio reads credentialName from the namespace of the gateway Pods (istio-system for the default "
         "istio: ingressgateway). The listener references the Secret there; a ReferenceGrant lets the Gateway "
         "read it. Check the namespace named in the message."),
    spec("IST012", "error", "not-converted", "Client certificate validation not carried over",
         "tls.mode MUTUAL or OPTIONAL_MUTUAL validates client certificates: an access control. Gateway API "
         "v1.6.1 can express it only per Gateway or port (spec.tls.frontend, with the CA in a ConfigMap), and "
         "the CA lives in a Secret gateway-migrate never reads. The routes served there are emitted closed "
         "(fail closed) unless --allow-security-downgrade.", security=True),
    spec("IST013", "warning", "not-converted", "Istio Gateway server not converted",
         "The server's protocol or TLS mode has no Gateway API listener (AUTO_PASSTHROUGH, ISTIO_MUTUAL, TLS "
         "termination of plain TCP, or a port number outside 1-65535); nothing listens there now."),
    spec("IST014", "info", "converted", "HTTP server answers with a 301 redirect to HTTPS",
         "tls.httpsRedirect became an HTTPRoute on the HTTP listener with RequestRedirect scheme https and "
         "statusCode 301, as Istio sends; VirtualServices attach only to the other listeners."),
    spec("IST015", "warning", "converted-with-change", "TLS settings of an Istio server not carried over",
         "minProtocolVersion, maxProtocolVersion and cipherSuites have no standard Gateway API field (listener "
         "tls.options is implementation-specific); the listener uses the implementation's defaults. "
         "subjectAltNames and verifyCertificateSpki/Hash check client certificates only: with mode SIMPLE Istio "
         "requests none, so they did nothing; with MUTUAL or OPTIONAL_MUTUAL they belong to the client "
         "validation IST012 reports."),
    spec("IST016", "info", "converted-with-change", "Gateway host namespace scope narrowed",
         "A server host with `*/` (or no namespace) admitted VirtualServices from every namespace; the listener "
         "admits exactly the namespaces of the routes converted now. Add namespaces as routes move over."),
    spec("IST017", "warning", "not-converted", "Gateway server host not usable as a listener hostname",
         "An IP address or a malformed name cannot be a Gateway API hostname; the listener takes no hostname "
         "(every host) or is left out, as the message says."),
    # -- VirtualService matches ------------------------------------------------------------------
    spec("IST030", "warning", "converted-with-change", "uri.prefix is a string prefix; PathPrefix is element-wise",
         "Istio's uri.prefix /api matches /api, /api/x and also /apix. Gateway API PathPrefix /api matches whole "
         "path segments only (/api, /api/x, not /apix), and ignores a trailing slash (PathPrefix /api/ matches "
         "/api). Chosen for portability (core support); the message gives the regular expression that keeps the "
         "string-prefix meaning if you need it."),
    spec("IST031", "info", "converted-to-extension", "Match uses a regular expression",
         "Istio regex (RE2, full match) and prefix matches on headers, query parameters and case-insensitive "
         "paths become RegularExpression matches, whose dialect and precedence are implementation-specific "
         "(Envoy-based implementations use RE2, as Istio)."),
    spec("IST032", "warning", "not-converted", "Match condition without Gateway API equivalent: match dropped",
         "The match uses a condition Gateway API cannot express (authority, scheme, withoutHeaders, "
         "sourceLabels, a listener port, per-match gateways that exclude this parent). Keeping the match "
         "without it would send other requests to this rule, so the match is left out: requests it selected "
         "now go to the next rule that matches them."),
    spec("IST033", "warning", "converted-with-change", "Rule order mattered: Gateway API uses precedence",
         "VirtualService http[] is evaluated in order, first match wins. Gateway API picks the most specific "
         "match (Exact, longest PathPrefix, method, most headers, most query parameters) whatever the order. "
         "The example request reaches another rule now; reorder-proof the VirtualService (make the earlier "
         "rule's match more specific) or accept the change."),
    spec("IST034", "warning", "not-converted", "Rule dropped: none of its matches could be converted",
         "Every match of the rule used a condition Gateway API cannot express; the rule is left out."),
    spec("IST035", "error", "note", "Invalid match value",
         "The value cannot be read as Istio would (wrong type, or an invalid regular expression); the match is "
         "left out."),
    spec("IST036", "info", "converted", "Method regular expression expanded to the listed methods",
         "Gateway API matches one exact method per match; a method prefix or regex becomes one match per HTTP "
         "method it accepts."),
    spec("IST037", "warning", "converted-with-change", "Authority match on the route's own hostname: condition dropped",
         "An authority exact match equal to the only host of a VirtualService bound only to Gateways is true for "
         "every request its route receives, so the condition is dropped and the match kept. Istio matched "
         "authority against the whole :authority (Host) header, port included, while routing to the host "
         "ignores the port: a request that names a port (Host: x.example.com:8080) reached the route but not "
         "this match in Istio, and matches now; likewise a Host differing only in letter case."),
    # -- VirtualService actions ------------------------------------------------------------------
    spec("IST050", "info", "converted", "Redirect status written explicitly",
         "Istio redirects with 301 unless redirectCode says otherwise; the Gateway API default is 302, so "
         "statusCode is always written."),
    spec("IST051", "warning", "converted-with-change", "Redirect or rewrite differs",
         "A redirect code outside 301/302/303/307/308, derivePort, uriRegexRewrite, or a prefix rewrite whose "
         "slash handling differs between Envoy (string replace) and Gateway API (segment replace). The message "
         "says what requests see now."),
    spec("IST052", "info", "converted", "Timeout carried over",
         "http[].timeout became timeouts.request (HTTPRouteRequestTimeout, extended)."),
    spec("IST053", "warning", "not-converted", "Fault injection not converted",
         "Gateway API has no fault injection (delay, abort). Requests are no longer delayed or failed on "
         "purpose; use the implementation's own policy for chaos testing."),
    spec("IST054", "warning", "not-converted", "Delegate VirtualService not flattened",
         "The rule hands matching requests to another VirtualService (delegate). Gateway API has no route "
         "delegation; the rule keeps its matches and gets no backends (HTTP 500) so its requests do not fall "
         "through elsewhere. Copy the child's rules into this route, with the parent's matches ANDed in."),
    spec("IST055", "warning", "not-converted", "directResponse not converted",
         "Gateway API has no direct (fixed) response in the standard channel. The rule keeps its matches and "
         "has no backends, so its requests get HTTP 500 instead of the configured status and body."),
    spec("IST056", "warning", "converted-with-change", "Destination is not a Kubernetes Service of the input",
         "The destination host is not a short Service name or <svc>.<ns>.svc.cluster.local (a ServiceEntry or "
         "external host), or its port is unknown. The message says which backendRef was written."),
    spec("IST057", "warning", "converted-with-change", "Mirror percentage rounded",
         "RequestMirror.percent is a whole number; the Istio percentage was rounded."),
    spec("IST058", "warning", "converted-with-change", "CORS origin pattern not carried over",
         "Gateway API CORS allowOrigins takes exact origins and wildcards; an Istio prefix or regex origin is "
         "left out, so those origins are no longer allowed (narrower, not wider)."),
    spec("IST059", "warning", "converted-with-change", "DestinationRule subset not carried over",
         "A subset selects some Pods of a Service by label; Gateway API backendRefs name whole Services. The "
         "backendRef goes to the Service, so traffic meant for one subset reaches all its Pods. Create a Service "
         "per subset (selector = the subset labels) and point the backendRef at it."),
    spec("IST060", "warning", "converted-with-change", "Weights did not sum to 100",
         "Istio requires route weights to sum to 100 (a missing weight counts 0 when several destinations are "
         "listed). Gateway API weights are relative; they are written as Istio would have used them."),
    spec("IST061", "info", "converted", "Route kind chosen from the bound Gateway server",
         "VirtualService http[] rules bound only to GRPC servers became a GRPCRoute: uri prefix /pkg.Service/ and "
         "exact /pkg.Service/Method became method matches. A GRPCRoute matches gRPC calls (POST) only: a plain "
         "HTTP request to such a path (GET /pkg.Service/Method), which Istio passed to the gRPC backend to be "
         "refused there, now gets 404 from the Gateway."),
    spec("IST062", "warning", "converted-with-change", "gRPC rule matches every method",
         "A uri match that is no gRPC service or method path cannot be a GRPCRoute method match; the rule "
         "matches every method."),
    spec("IST065", "warning", "not-converted", "gRPC rule: timeout or filter left out",
         "The rule became a GRPCRoute rule (IST061), and GRPCRoute in Gateway API v1.6.1 standard has no timeouts "
         "and only RequestHeaderModifier, ResponseHeaderModifier, RequestMirror and ExtensionRef filters. A timeout, "
         "redirect, rewrite or CORS policy of the rule is left out; the example says what calls see now. Bind the "
         "VirtualService to an HTTP or HTTPS server too (it then becomes an HTTPRoute), or use the implementation's "
         "own policy."),
    spec("IST063", "warning", "not-converted", "VirtualService binds to no converted Gateway server",
         "No server of the named Gateway (in the input) serves this VirtualService's hosts from its namespace, "
         "or the Gateway is not in the input. With no Gateway in the input the route attaches to a Gateway of "
         "the same name, which must exist."),
    spec("IST064", "info", "note", "Delegate child VirtualService",
         "A VirtualService without hosts is only used through another VirtualService's delegate; it produces "
         "no route of its own (see IST054 on the parent)."),
    # -- mesh ------------------------------------------------------------------------------------
    spec("IST070", "info", "converted-with-change", "Mesh route gets a catch-all rule to its Service",
         "Once a GAMMA route attaches to a Service, requests that match none of its rules are rejected. Istio "
         "sent them on to the Service (default routing), so a last rule PathPrefix / -> the Service itself keeps "
         "that behaviour. Remove it to reject unmatched requests on purpose."),
    spec("IST071", "warning", "converted-with-change", "Consumer route: only clients in its namespace are affected",
         "The VirtualService lives outside the Service's namespace, so the GAMMA route is a consumer route: it "
         "governs only clients in its own namespace. Istio applied it to every namespace it was exported to "
         "(exportTo, default all). Move it to the Service's namespace (producer route) to keep that."),
    spec("IST072", "warning", "not-converted", "Mesh host is not a Kubernetes Service",
         "GAMMA routes attach to Services; a wildcard, external or ServiceEntry host has no Service parentRef in "
         "core Gateway API. No route is written for it."),
    spec("IST073", "info", "converted", "sourceNamespace became a consumer route",
         "A mesh match on sourceNamespace applies only to clients in that namespace: the rule went to a consumer "
         "route in that namespace."),
    # -- DestinationRule -----------------------------------------------------------------------
    spec("IST090", "info", "converted", "TLS origination became a BackendTLSPolicy",
         "trafficPolicy.tls SIMPLE became a BackendTLSPolicy on the Service: the Gateway speaks TLS to it and "
         "validates its certificate for the hostname given."),
    spec("IST091", "warning", "converted-with-change", "Backend TLS differs",
         "The CA is a file path or a Secret (BackendTLSPolicy reads a ConfigMap), or certificate checks were "
         "off (insecureSkipVerify). The policy validates against the system CAs: copy the CA into a ConfigMap "
         "and reference it, or the backend's certificate may be refused (requests fail, they do not go through "
         "unchecked)."),
    spec("IST092", "error", "not-converted", "Client certificate to backends not carried over",
         "trafficPolicy.tls MUTUAL presents a client certificate to the backend. Gateway API has only a "
         "Gateway-wide spec.tls.backend.clientCertificateRef, which gateway-migrate does not write; the backend "
         "will refuse the Gateway's connections until it is set."),
    spec("IST094", "warning", "not-converted", "Retry budget not converted (experimental channel only)",
         "trafficPolicy.retryBudget caps concurrent retries to the Service as a percentage of active requests. "
         "Gateway API has a retry budget only in the experimental channel (XBackendTrafficPolicy "
         "retryConstraint.budget, gateway.networking.x-k8s.io/v1alpha1); it is not emitted. The message gives the "
         "experimental equivalent. Without it retries are not capped by a budget (the implementation's defaults "
         "apply)."),
    spec("IST093", "info", "note", "Mesh mTLS needs no conversion",
         "ISTIO_MUTUAL (and DISABLE) describe the mesh's own transport security; a GAMMA implementation provides "
         "its own. Nothing is written."),
)


def all_findings() -> tuple[FindingSpec, ...]:
    return FINDINGS
