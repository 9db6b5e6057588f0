"""Write a synthetic GitOps repo: N Ingress documents with realistic ingress-nginx
annotations and comments, spread over files and namespaces, plus Services.

Usage: python benchmarks/generate.py N OUT_DIR
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ANNOTATION_SETS = [
    {},
    {"nginx.ingress.kubernetes.io/proxy-body-size": "16m", "nginx.ingress.kubernetes.io/proxy-read-timeout": "120"},
    {"nginx.ingress.kubernetes.io/rewrite-target": "/$2", "nginx.ingress.kubernetes.io/use-regex": "true"},
    {"nginx.ingress.kubernetes.io/ssl-redirect": "false", "nginx.ingress.kubernetes.io/enable-cors": "true",
     "nginx.ingress.kubernetes.io/cors-allow-origin": "https://app.example.com"},
    {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS", "nginx.ingress.kubernetes.io/upstream-vhost": "internal.svc"},
    {"cert-manager.io/cluster-issuer": "letsencrypt-prod", "nginx.ingress.kubernetes.io/app-root": "/home"},
]


def ingress(i: int, rng: random.Random) -> str:
    ns = f"team-{i % 50}"
    host = f"app{i}.{ns}.example.com"
    annotations = ANNOTATION_SETS[i % len(ANNOTATION_SETS)]
    regex = "rewrite-target" in " ".join(annotations)
    paths = []
    for j in range(rng.randint(1, 4)):
        value = f"/svc{j}(/|$)(.*)" if regex else f"/svc{j}"
        ptype = "ImplementationSpecific" if regex else rng.choice(["Prefix", "Exact", "Prefix"])
        paths.append(f"""          # route {j} of {host}
          - path: {value}
            pathType: {ptype}
            backend:
              service:
                name: svc-{i}-{j}
                port:
                  number: {8000 + j}""")
    ann = "".join(f'\n    {k}: "{v}"' for k, v in annotations.items())
    tls = f"""
  tls:
    - hosts:
        - {host}
      secretName: {host.replace('.', '-')}-tls""" if i % 3 == 0 else ""
    return f"""# Ingress {i}: owned by {ns}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-{i}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: app-{i}
  annotations:{ann if ann else ' {}'}
spec:
  ingressClassName: nginx{tls}
  rules:
    - host: {host}  # public name
      http:
        paths:
""" + "\n".join(paths) + "\n"


def service(i: int) -> str:
    return f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{i}-0
  namespace: team-{i % 50}
spec:
  selector:
    app: app-{i}
  ports:
    - name: http
      port: 8000
"""


def main() -> None:
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    rng = random.Random(42)
    per_file = 10
    for start in range(0, n, per_file):
        folder = out / f"team-{start // per_file % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        docs = []
        for i in range(start, min(n, start + per_file)):
            docs.append(ingress(i, rng))
            if i % 5 == 0:
                docs.append(service(i))
        (folder / f"ingresses-{start // per_file}.yaml").write_text("---\n".join(docs))


if __name__ == "__main__":
    main()
