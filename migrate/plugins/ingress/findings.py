"""Finding codes of the core Ingress plugin (prefix ING)."""

from migrate.findings import spec

FINDINGS = (
    spec("ING001", "warning", "converted-with-change", "ImplementationSpecific path converted as PathPrefix",
         "The meaning of pathType ImplementationSpecific belongs to the controller (ingress-nginx: prefix; "
         "Contour: string prefix or regex; GKE: exact). The core plugin converts it as an element-wise "
         "PathPrefix. Use --provider for your controller, or set pathType Prefix/Exact in the source."),
    spec("ING002", "warning", "converted-with-change", "Wildcard host now matches any depth",
         "An Ingress wildcard host '*.example.com' matches exactly one label; a Gateway API wildcard hostname "
         "matches any number of labels, so a.b.example.com now reaches this route too."),
    spec("ING003", "error", "not-converted", "Named service port could not be resolved",
         "Gateway API backendRefs need a port number. The Service was not in the input (or has no port of "
         "that name), so the backend is left out and matching requests get HTTP 500. Add the Service "
         "manifest to the input or use a port number."),
    spec("ING004", "info", "converted", "Named service port resolved from the Service",
         "The port name was looked up in the Service found in the input."),
    spec("ING005", "warning", "converted-to-extension", "Resource backend converted as an implementation-specific backendRef",
         "Ingress resource backends become backendRefs with that group and kind; only implementations that "
         "support that kind will route to it."),
    spec("ING006", "warning", "converted-with-change", "Path not valid for Gateway API: converted to a regular expression",
         "Exact and PathPrefix values may not contain '//', '/./', '/../', '%2f', '#' or characters outside "
         "the URL path set. The path became an anchored RegularExpression match, whose support, dialect and "
         "precedence against Exact/PathPrefix rules are implementation-specific: where the Ingress let the "
         "longer path win, a shorter PathPrefix rule may now win on some implementations."),
    spec("ING007", "info", "converted-with-change", "Default backend converted to catch-all rules",
         "spec.defaultBackend became a PathPrefix '/' rule on each host of this Ingress and a route without "
         "hostnames. That route also catches unmatched requests for hosts of other routes on the same Gateway."),
    spec("ING008", "warning", "not-converted", "Conflicting TLS certificate for a host",
         "Another Ingress already set a different Secret for this host's HTTPS listener; the first one in "
         "input order is kept."),
    spec("ING009", "warning", "not-converted", "Annotation not converted",
         "No plugin that owns this Ingress understands this annotation, so the behaviour it configured is "
         "not carried over. If it belongs to your controller, run with --provider NAME."),
    spec("ING010", "warning", "not-converted", "TLS entry without a Secret",
         "The controller served these hosts with its default certificate; an HTTPS listener needs "
         "certificateRefs, so no HTTPS listener is made for them. Add the Secret to the Gateway by hand."),
    spec("ING011", "info", "converted", "Legacy Ingress API version",
         "extensions/v1beta1 and networking.k8s.io/v1beta1 were removed in Kubernetes 1.22; the object was "
         "read with their field names (serviceName, servicePort, backend)."),
    spec("ING013", "info", "not-converted", "kubectl's last-applied record not carried over",
         "kubectl.kubernetes.io/last-applied-configuration is kubectl's copy of the Ingress as last applied; it "
         "describes the old object, and `kubectl apply` writes a new one for the Gateway API objects."),
    spec("ING012", "info", "not-converted", "Rule without paths",
         "A rule with a host and no http paths routes nothing by itself; no route rule is made for it."),
)
