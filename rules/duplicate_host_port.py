"""Two launches publish the same host port.

## What it does
Collects the host side of every published port (compose ``ports:``) of the launches of one project
and reports each port published more than once on the same host address. A project is what compose
runs together: one compose file with its ``compose.override.yaml``, a ``COMPOSE_FILE`` or
``--compose-file`` list, the files a compose file includes (``include:``), or a group named by ``projects:``
in the configuration (the ``micro``/``mini``/``medium`` profiles of seed report 004 are started side
by side: ``projects: [["docker-compose-*-qwen3.yml"]]``). Compose files beside each other are
otherwise alternatives (``docker-compose.yml`` and ``docker-compose.gpu.yml``, one file per model)
and are not compared; neither are files whose services share a ``container_name``. Kubernetes
schedules host ports itself and is not checked.

## Why is this bad?
Only one process can bind a host port: the second service fails with "port is already allocated"
and stays down. Seed report 004 gives every profile its own port variable (``VLLM_PORT_MICRO``,
``VLLM_PORT_MINI``, ``VLLM_PORT_MEDIUM``) precisely to avoid this; a copied profile that keeps the
old port breaks the first one started.

## Example
```yaml
# compose.yaml
services:
  chat:  {ports: ["5002:8000"], ...}
  embed: {ports: ["5002:8000"], ...}
```

## Fix
Give each service its own host port.
"""
CODE = "VLL104"
NAME = "duplicate-host-port"
CATEGORY = "networking"
SEVERITY = "error"
SCOPE = "project"


def check(project, ctx):
    seen = {}
    for d in project.deployments:
        if d.host_group is None:
            continue
        for p in d.ports:
            if not p.host:
                continue
            ip, _, port = p.host.rpartition(":")
            if not port or "$" in port:
                continue  # an unset variable: the port is not known
            key = (d.host_group, ip or "0.0.0.0", port, p.protocol)
            if key in seen and seen[key][0] is not d:
                first_d, first_p = seen[key]
                yield ctx.finding(p.span, f"host port {port} is also published by {first_d.name!r} ({first_p.span}); "
                                  "only one of them can start",
                                  hint="give each service its own host port", related=[first_p.span], deployment=d)
            else:
                seen.setdefault(key, (d, p))
