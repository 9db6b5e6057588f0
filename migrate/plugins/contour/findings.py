"""Finding codes of the Contour plugin (prefix CTR), declared once each."""

from __future__ import annotations

from migrate.findings import FindingSpec, spec

FINDINGS: tuple[FindingSpec, ...] = (
    # -- general -------------------------------------------------------------------------
    spec("CTR001", "warning", "not-converted", "Contour field not converted",
         "Gateway API (standard channel) has no equivalent for this HTTPProxy field or annotation; what it did is "
         "not carried over. The message gives the note from mappings/contour.yaml."),
    spec("CTR002", "error", "not-converted", "Contour access control not converted",
         "The field restricts who may reach the backends (external authorization, JWT verification, client "
         "certificates, IP allow/deny lists, rate limits). It cannot be carried over, so the routes it protects are "
         "emitted closed (GM011): fail closed. Re-run with --allow-security-downgrade to emit them open, knowingly.",
         security=True),
    spec("CTR003", "warning", "not-converted", "Unknown annotation under projectcontour.io/",
         "Contour does not read this annotation (a typo, or another Contour release); it had no effect."),
    spec("CTR004", "info", "converted", "Converted with the same behaviour",
         "The field or annotation has a Gateway API equivalent with the same behaviour; the message names it."),
    # -- proxy tree ------------------------------------------------------------------------
    spec("CTR010", "warning", "not-converted", "Orphaned HTTPProxy: not served",
         "No root HTTPProxy (one with spec.virtualhost) includes this HTTPProxy, directly or through other includes, "
         "or the only include naming it is one Contour skips (invalid or repeated conditions, CTR017; a "
         "tcpproxy.includes ignored because tcpproxy.include is set). Contour marks it orphaned and serves none of "
         "its routes, so nothing is emitted for it. The message says which case applies."),
    spec("CTR011", "error", "converted-with-change", "Include of a missing or root HTTPProxy",
         "Contour answers requests matching the include's conditions with 502 (the include names an HTTPProxy that "
         "does not exist, or a root). The converted rule keeps those matches without backends, so they get 500."),
    spec("CTR012", "warning", "converted", "Include cycle: the edge that closes it is ignored",
         "Contour refuses to follow an include back to an HTTPProxy already on the include chain and serves the "
         "rest; the conversion does the same. Remove the include that closes the cycle."),
    spec("CTR013", "error", "not-converted", "Invalid HTTPProxy: Contour serves none of its routes",
         "Contour marks the HTTPProxy invalid (the message says why) and serves none of its routes, including the "
         "routes it includes; none are emitted. Fix the HTTPProxy."),
    spec("CTR014", "error", "not-converted", "fqdn used by several root HTTPProxies",
         "Contour marks every root HTTPProxy that shares an fqdn invalid (DuplicateVhost), whatever their age, and "
         "serves none of them; none is emitted. Keep one root per fqdn and move the others' routes under it with "
         "includes."),
    spec("CTR015", "warning", "converted-with-change", "Wildcard fqdn now matches any depth",
         "Contour matches '*.example.com' against exactly one DNS label; a Gateway API wildcard hostname matches any "
         "number of labels, so a.b.example.com now reaches these routes too."),
    spec("CTR016", "warning", "not-converted", "HTTPProxy for another ingress class",
         "The HTTPProxy names an ingress class other than Contour's; this Contour ignored it and so does the conversion."),
    spec("CTR017", "warning", "converted", "Include skipped: invalid or duplicate conditions",
         "Contour skips an include whose conditions are invalid (e.g. an exact path, a prefix without a leading '/', a "
         "header condition without an operator) or identical to an earlier include's; the HTTPProxy's status says "
         "invalid, but its other routes and includes are served. The included HTTPProxy gets no traffic through this "
         "include (it is orphaned when nothing else includes it): requests matching the include's conditions are "
         "answered by the other routes of the virtual host, or 404. The conversion does the same. Fix the include."),
    # -- conditions ------------------------------------------------------------------------
    spec("CTR020", "warning", "converted-with-change", "String prefix converted to an element-wise PathPrefix",
         "A Contour prefix condition is a string prefix ('/api' also matches '/apiv2'); Gateway API PathPrefix matches "
         "whole path segments. The portable PathPrefix is used (its precedence is Core); requests that only matched "
         "as a string now go to another rule or get 404. The message gives an example."),
    spec("CTR021", "info", "converted-with-change", "Condition converted to a RegularExpression match",
         "Contour's contains / present / regex / prefix / suffix / ignoreCase conditions have no Core Gateway API form; "
         "they become RegularExpression matches, whose support and dialect are implementation-specific (RE2 on "
         "Envoy-based implementations, like Contour)."),
    spec("CTR022", "warning", "converted-with-change", "Negative header condition dropped: the rule matches more",
         "notpresent / notcontains / notexact cannot be expressed in Gateway API (RE2 has no negative lookahead). The "
         "condition is dropped, so the rule now also takes requests Contour sent elsewhere or rejected with 404. The "
         "message names them."),
    spec("CTR023", "error", "not-converted", "Invalid condition: the HTTPProxy is not served",
         "The conditions break Contour's rules (more than one path condition, a prefix without a leading '/', an "
         "exact condition on an include, a header condition without an operator); Contour marks the HTTPProxy invalid."),
    # -- services and route policies -------------------------------------------------------------
    spec("CTR030", "info", "converted", "Partial weights: unset weights are 0",
         "Contour gives a service without a weight no traffic when another service of the route has one; the "
         "backendRefs carry weight 0 explicitly."),
    spec("CTR031", "warning", "converted-with-change", "Header value with Envoy variables dropped",
         "The value uses Envoy %...% variables (or Contour's %CONTOUR_*%), which Gateway API header modifiers cannot "
         "express; that header change is not carried over."),
    spec("CTR032", "info", "converted", "Host header rewrite converted to URLRewrite hostname",
         "Setting the Host request header rewrites the authority Envoy sends upstream (and its SNI); Gateway API "
         "URLRewrite hostname (extended) does the same."),
    spec("CTR033", "info", "converted-with-change", "Prefix rewrite converted to ReplacePrefixMatch",
         "Contour replaced the matched string prefix; ReplacePrefixMatch replaces whole path segments. The two agree "
         "on requests whose path continues with '/' after the prefix, the only ones the converted match takes."),
    spec("CTR034", "info", "note", "Contour's 15s response timeout not made explicit",
         "Without timeoutPolicy.response Contour (Envoy) ends requests after 15 s with 504. The routes carry no "
         "timeout, so the implementation's default applies; add timeouts.request: 15s to keep the old bound."),
    spec("CTR035", "info", "converted", "Response timeout converted to timeouts.request",
         "timeoutPolicy.response / projectcontour.io/response-timeout bound the whole request, like timeouts.request "
         "(extended). 'infinity' becomes 0s, which disables the timeout."),
    spec("CTR036", "warning", "not-converted", "Retry policy not emitted (experimental channel)",
         "Gateway API retries exist only in the experimental channel (HTTPRouteRetry). The message gives the "
         "equivalent; it is not emitted. Without it the implementation's default applies (often no retries)."),
    spec("CTR037", "warning", "not-converted", "Load-balancing or session persistence not emitted",
         "Cookie affinity maps to sessionPersistence (experimental channel, not emitted); other strategies and request "
         "hashing need an implementation-specific policy. The implementation's default balancing applies."),
    spec("CTR038", "warning", "converted-with-change", "Direct response answers 500",
         "Contour answered with a fixed status and body; Gateway API has no direct-response filter in the standard "
         "channel, so the rule has no backends and answers 500."),
    spec("CTR039", "info", "converted", "Mirror converted to RequestMirror",
         "The mirror service becomes a RequestMirror filter; its weight is the mirrored percentage (extended)."),
    spec("CTR040", "info", "converted-with-change", "WebSocket upgrades now accepted on every route",
         "Contour (Envoy) accepted 'Upgrade: websocket' only on routes with enableWebsockets (Ingress: paths listed in "
         "projectcontour.io/websocket-routes) and refused it with 403 elsewhere. Gateway API has no field for it and "
         "implementations typically accept upgrades on every route (Envoy Gateway, Istio, Contour's Gateway "
         "provisioner), so these routes now accept them unless the implementation is configured otherwise. Reported "
         "once per HTTPProxy or Ingress, naming its routes; the backends must cope with (or refuse) the upgrade."),
    # -- TLS, listeners, redirects -------------------------------------------------------------
    spec("CTR050", "info", "converted-with-change", "HTTP to HTTPS redirect made explicit",
         "Contour answers plain HTTP for a TLS virtual host with 301 to https (permitInsecure false, the default). "
         "The routes attach to the HTTPS listener; on the HTTP listener each rule redirects with 301, except rules "
         "with permitInsecure, which are served on both."),
    spec("CTR051", "error", "not-converted", "TLS secret in another namespace without a delegation",
         "The secret is in another namespace and no TLSCertificateDelegation there allows this namespace; Contour marks "
         "the HTTPProxy invalid and does not serve it. Nothing is emitted for it."),
    spec("CTR052", "info", "converted", "TLSCertificateDelegation converted to a ReferenceGrant",
         "The Gateway reads the Secret through a ReferenceGrant in the Secret's namespace (generated); the delegation "
         "itself has no other effect."),
    spec("CTR053", "info", "converted", "TLS passthrough / tcpproxy converted to a TLSRoute",
         "The virtual host becomes a TLS listener (Passthrough, or Terminate when Contour terminated TLS) and a "
         "TLSRoute to the tcpproxy services."),
    spec("CTR054", "warning", "not-converted", "TLS or upstream setting not converted",
         "The setting (protocol versions, fallback certificate, upstream protocol or validation) needs listener "
         "options, a BackendTLSPolicy with a ConfigMap, or the Service's appProtocol; the message says which."),
    spec("CTR055", "error", "not-converted", "HTTPProxy virtual host without fqdn or services",
         "A root HTTPProxy needs virtualhost.fqdn, and a tcpproxy needs services or an include; Contour marks it "
         "invalid and serves nothing."),
    # -- Ingress and Service annotations --------------------------------------------------------
    spec("CTR070", "info", "converted", "Contour Ingress annotation converted",
         "The annotation's behaviour is carried over; the message says how."),
    spec("CTR071", "info", "converted-with-change", "force-ssl-redirect converted to a 301 redirect route",
         "Contour set require_tls on the virtual host: plain HTTP gets 301 to https. The HTTP listener gets a route "
         "that only redirects; the real route attaches to HTTPS."),
    spec("CTR072", "info", "converted", "allow-http false: HTTPS only",
         "kubernetes.io/ingress.allow-http: \"false\" made Contour create no HTTP route for the host; the route attaches "
         "to the HTTPS listener only, so plain HTTP gets 404."),
    spec("CTR073", "warning", "not-converted", "Service annotation for Contour not converted",
         "A projectcontour.io annotation on a Service the routes send traffic to (circuit breaking, upstream "
         "protocol) has no Gateway API equivalent in the standard channel; the message says what to do instead."),
    spec("CTR074", "info", "converted-with-change", "ImplementationSpecific path read as Contour does",
         "Contour reads an ImplementationSpecific path with one of ^+*[]% as a regular expression, any other as a "
         "string prefix; the match is RegularExpression, or PathPrefix with CTR020's caveat."),
)
