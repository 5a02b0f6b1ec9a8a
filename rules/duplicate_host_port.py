"""Two launches publish the same host port.

## What it does
Collects the host side of every published port (compose ``ports:``) of the launches that run on one
machine and reports each port published more than once on the same host address. Compose files in
one folder (with their overrides) are taken to run on one machine, like the ``micro``/``mini``/
``medium`` profiles of seed report 004; alternative profiles kept in separate folders are not
compared with each other. Kubernetes schedules host ports itself and is not checked.

## Why is this bad?
Only one process can bind a host port: the second service fails with "port is already allocated"
and stays down. Seed report 004 gives every profile its own port variable (``VLLM_PORT_MICRO``,
``VLLM_PORT_MINI``, ``VLLM_PORT_MEDIUM``) precisely to avoid this; a copied profile that keeps the
old port breaks the first one started.

## Example
```yaml
# a.yml
    ports: ["5002:8000"]
# b.yml
    ports: ["5002:8000"]
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
            key = (d.host_group, ip or "0.0.0.0", port, p.protocol)
            if key in seen and seen[key][0] is not d:
                first_d, first_p = seen[key]
                yield ctx.finding(p.span, f"host port {port} is also published by {first_d.name!r} ({first_p.span}); "
                                  "only one of them can start",
                                  hint="give each service its own host port", related=[first_p.span], deployment=d)
            else:
                seen.setdefault(key, (d, p))
