"""Finding codes of the Traefik plugin (prefix TRF)."""

from migrate.findings import spec

FINDINGS = (
    spec("TRF001", "warning", "not-converted", "Traefik setting not converted",
         "The field or annotation has no Gateway API equivalent that gateway-migrate emits; the message says what "
         "it did in Traefik. Configure it in your Gateway implementation if you still need it."),
    spec("TRF002", "error", "not-converted", "Access control not carried over: the route fails closed",
         "An authentication, IP allow-list, rate limit or client-certificate check has no standard Gateway API "
         "field. The routes that used it are emitted without backends (HTTP 500) unless --allow-security-downgrade "
         "is given. Re-create the control with your implementation's policy, then convert again with the flag.",
         security=True),
    spec("TRF003", "info", "converted", "Legacy API group traefik.containo.us",
         "Traefik v3 serves its CRDs only under traefik.io; the object was read as traefik.io/v1alpha1 (the fields "
         "are the same)."),
    spec("TRF004", "warning", "not-converted", "Unknown field",
         "The field is not part of the Traefik CRD as gateway-migrate knows it (misspelt, or from another release); "
         "the API server would have pruned or rejected it."),
    spec("TRF005", "warning", "converted-with-change", "Character-wise PathPrefix became an element-wise PathPrefix",
         "Traefik's PathPrefix(`/p`) matches any path starting with the characters /p (/products matches "
         "/products-for-sale); Gateway API's PathPrefix matches whole path elements. The converted route no longer "
         "matches paths that only share characters, and a prefix written with a trailing slash now also matches the "
         "path without it. Write the Traefik rule with PathRegexp if the character-wise match was intended."),
    spec("TRF006", "warning", "converted-to-extension", "Regular expression match (implementation-specific)",
         "PathRegexp, HeaderRegexp, QueryRegexp and Query(`name`) became RegularExpression matches (Traefik's Go RE2, "
         "unanchored, rewritten for a full match). Support, dialect and their precedence against Exact and PathPrefix "
         "matches are implementation-specific."),
    spec("TRF007", "warning", "not-converted", "Rule condition cannot be expressed",
         "Negation (!), HostRegexp beyond a leading label, and contradictory conditions have no HTTPRouteMatch "
         "equivalent. The alternative is converted without the condition (it now matches more requests) or dropped "
         "when it can match nothing; the message says which."),
    spec("TRF008", "error", "not-converted", "ClientIP condition cannot be expressed: the route fails closed",
         "ClientIP() restricts a router to client addresses; Gateway API matches have no source address. Dropping "
         "the condition would open the route to every client, so it is emitted closed unless "
         "--allow-security-downgrade.", security=True),
    spec("TRF009", "warning", "converted-with-change", "Router order changes under Gateway API precedence",
         "Traefik tries routers by priority (explicit, else the length of the rule); Gateway API ranks matches by "
         "host, Exact path, longest prefix, method, headers, query. For the example request the two pick different "
         "routes."),
    spec("TRF010", "info", "converted", "Router priority: Gateway API precedence picks the same routes",
         "The explicit or default priority was compared with Gateway API precedence on every overlapping pair of "
         "converted matches; no request reaches another route."),
    spec("TRF011", "error", "not-converted", "Middleware not found: Traefik does not create the router",
         "Traefik skips a router whose middleware does not exist (its requests get 404 or reach a lower-priority "
         "router). The route is not emitted, which keeps that behaviour; fix the reference and convert again."),
    spec("TRF012", "warning", "converted-with-change", "Redirect status code no longer depends on the method",
         "Traefik answers a permanent redirect with 301 for GET and 308 otherwise (302/307 when not permanent). "
         "Gateway API has one statusCode per filter: 301 (or 302) is used, so non-GET clients may change the method."),
    spec("TRF013", "warning", "not-converted", "Middleware cannot be expressed",
         "The middleware's effect (a regex rewrite, error pages, compression, buffering, ...) has no standard "
         "Gateway API filter; requests reach the backend without it."),
    spec("TRF014", "warning", "not-converted", "Experimental-channel feature not emitted",
         "Retries and session persistence exist only in Gateway API's experimental channel; gateway-migrate emits "
         "the standard channel. The message gives the experimental equivalent."),
    spec("TRF015", "warning", "not-converted", "Entry point with no knowable port",
         "Entry points are ports of Traefik's static configuration. web (80) and websecure (443) are assumed; a "
         "trailing number in the name (postgres-5432) is taken as the port; for other names no listener is made "
         "and the router is not attached there."),
    spec("TRF016", "warning", "not-converted", "Certificate from an ACME resolver or the default store",
         "certResolver, domains and the TLSStore default certificate are Traefik's; a Gateway HTTPS listener needs a "
         "Secret. No listener is made for hosts without one: issue certificates with cert-manager for the Gateway."),
    spec("TRF017", "warning", "not-converted", "TLS option not emitted",
         "Protocol versions, ciphers, curves, ALPN and sniStrict go in implementation-specific listener tls.options, "
         "which gateway-migrate does not write. A clientAuth that rejects no client (NoClientCert, "
         "RequestClientCert) is reported here too."),
    spec("TRF018", "info", "converted", "TraefikService converted",
         "Weighted services became backendRef weights (nested weights multiplied out); mirroring became RequestMirror "
         "filters with percent (extended)."),
    spec("TRF019", "warning", "converted-with-change", "Wildcard host now matches any depth",
         "Traefik's Host(`*.example.com`) (v3.7) and a one-label HostRegexp match exactly one label; a Gateway API "
         "wildcard hostname matches any number, so a.b.example.com now reaches this route too."),
    spec("TRF020", "info", "converted", "Path rewrite converted",
         "stripPrefix, addPrefix or replacePath became a URLRewrite filter (extended); stripPrefix's "
         "X-Forwarded-Prefix header is set by a RequestHeaderModifier. replacePath's X-Replaced-Path header (the "
         "original path) cannot be written and is named in the message."),
    spec("TRF021", "info", "note", "Annotation ignored by Traefik where it is written",
         "service.* annotations are read from the Service an Ingress backend names, not from the Ingress; Traefik "
         "ignores this one, and so does the conversion."),
    spec("TRF022", "info", "not-converted", "Object not used by any converted router",
         "Middlewares, TLSOptions, TraefikServices and ServersTransports act only through the routers that reference "
         "them; this one is referenced by none in the input, so nothing is emitted for it."),
    spec("TRF023", "info", "converted", "Redirect scheme kept off the listeners already on the target scheme",
         "Traefik's redirectScheme leaves requests already on the target scheme (and port) alone: they reach the "
         "service. The RequestRedirect is put only on the listeners of the other scheme (an Ingress served over both "
         "becomes one HTTPRoute per listener protocol, the HTTPS one named <name>-https); rules on the target "
         "scheme's listeners keep their backends."),
    spec("TRF024", "info", "converted", "Headers middleware converted",
         "Custom request and response headers, security headers and CORS settings became RequestHeaderModifier, "
         "ResponseHeaderModifier and CORS filters."),
    spec("TRF025", "error", "not-converted", "Rule does not parse: Traefik does not create the router",
         "The router's rule is not valid Traefik syntax, so Traefik rejected the router; nothing is emitted for it."),
    spec("TRF026", "warning", "not-converted", "Backend not converted",
         "The service reference names no port, a port name the input cannot resolve, or a kind that is not a Service "
         "or TraefikService; the rule keeps its matches without that backend (HTTP 500 for its share)."),
    spec("TRF027", "warning", "converted-with-change", "Negated condition: the requests it excluded get a closed rule",
         "A negation (!Path, !PathPrefix, !Header, !Query, !Method) has no HTTPRouteMatch form. The alternative is "
         "converted without it, and the requests the negation kept away from this router get a rule of their own "
         "with no backends (HTTP 500) instead of reaching it: fail closed. Traefik answered them with another router "
         "or 404. A negated PathPrefix is closed element-wise: paths that only continue its characters (/x-y for "
         "!PathPrefix(`/x`)) now reach the route; the message names them."),
)
