// The workload of the Kustomization benchmark, on the shape of Flux's "mean time to production"
// benchmark: per app one OCI artifact (Deployment scaled to 0, ServiceAccount, Service, Ingress,
// with a post-build variable), one OCIRepository and one Kustomization (interval 60m,
// retryInterval 2m, prune, wait, timeout 1m, an impersonated ServiceAccount, targetNamespace).
import type { KubeObject } from '../../src/kube/index.ts';

export const SOURCE_API = 'source.toolkit.fluxcd.io/v1';
export const KUSTOMIZE_API = 'kustomize.toolkit.fluxcd.io/v1';
/** The namespace holding the sources, the Kustomizations and the impersonated ServiceAccount. */
export const FLUX_NS = 'bench';
export const DEPLOYER_SA = 'bench-deployer';
/** The variable each upgrade round changes. */
export const VERSION_VAR = 'APP_VERSION';

export const appName = (i: number) => `app-${i}`;

/** The artifact's single file; `${APP_VERSION}` and `${APP_DOMAIN:=…}` are substituted post-build. */
export function manifestTemplate(name: string): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  replicas: 0
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
      annotations:
        bench.eddy.dev/version: "\${${VERSION_VAR}}"
    spec:
      serviceAccountName: ${name}
      containers:
        - name: app
          image: registry.example/podinfo:6.7.0
          env:
            - name: VERSION
              value: "\${${VERSION_VAR}}"
          ports:
            - containerPort: 9898
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - port: 80
      targetPort: 9898
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
spec:
  rules:
    - host: ${name}.\${APP_DOMAIN:=bench.example}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ${name}
                port:
                  number: 80
`;
}

/** `${VAR}` and `${VAR:=default}` replaced; enough for this template (not Flux's envsubst). */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}/g, (_m, name: string, def: string | undefined) => {
    const v = vars[name] ?? def;
    if (v === undefined) throw new Error(`variable ${name} is not set`);
    return v;
  });
}

/**
 * What kustomize-controller would apply for app i: the substituted objects in the target
 * namespace with Flux's owner labels. The baseline applies exactly these.
 */
export function renderedObjects(i: number, targetNamespace: string, version: string, parse: (yaml: string) => KubeObject[]): KubeObject[] {
  const name = appName(i);
  return parse(substitute(manifestTemplate(name), { [VERSION_VAR]: version })).map((o) => ({
    ...o,
    metadata: {
      ...o.metadata,
      namespace: targetNamespace,
      labels: { ...o.metadata.labels, 'kustomize.toolkit.fluxcd.io/name': name, 'kustomize.toolkit.fluxcd.io/namespace': FLUX_NS },
    },
  }));
}

export function ociRepository(i: number, registryHost: string): KubeObject {
  return {
    apiVersion: SOURCE_API, kind: 'OCIRepository',
    metadata: { name: appName(i), namespace: FLUX_NS },
    spec: { url: `oci://${registryHost}/${appName(i)}`, ref: { tag: 'latest' }, interval: '60m', insecure: true },
  };
}

export function kustomization(i: number, targetNamespace: string, version: string): KubeObject {
  return {
    apiVersion: KUSTOMIZE_API, kind: 'Kustomization',
    metadata: { name: appName(i), namespace: FLUX_NS },
    spec: {
      interval: '60m', retryInterval: '2m', timeout: '1m', prune: true, wait: true,
      serviceAccountName: DEPLOYER_SA, targetNamespace,
      sourceRef: { kind: 'OCIRepository', name: appName(i) }, path: './',
      postBuild: { substitute: { [VERSION_VAR]: version } },
    },
  };
}

/** Namespaces, the impersonated ServiceAccount and its RBAC in each target namespace. */
export function setupObjects(targetNamespaces: readonly string[]): KubeObject[] {
  const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const out: KubeObject[] = [ns(FLUX_NS), ...targetNamespaces.map(ns), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEPLOYER_SA, namespace: FLUX_NS } }];
  for (const target of targetNamespaces) {
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'deployer', namespace: target },
      rules: [
        { apiGroups: [''], resources: ['serviceaccounts', 'services', 'configmaps'], verbs: ['*'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['*'] },
        // Flux's kustomize-controller health-checks a Deployment as the impersonated account, and
        // its kstatus reader lists the ReplicaSets and Pods too (forbidden → HealthCheckFailed).
        { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      ],
    }, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'deployer', namespace: target },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
      subjects: [{ kind: 'ServiceAccount', name: DEPLOYER_SA, namespace: FLUX_NS }],
    });
  }
  return out;
}

export const deployerIdentity = { user: `system:serviceaccount:${FLUX_NS}:${DEPLOYER_SA}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${FLUX_NS}`, 'system:authenticated'] };

/** What a measured run (eddy's or Flux's controllers) needs to know about the workload. */
export interface RunOptions {
  kubeconfig: string;
  scratch: string;
  count: number;
  /** Concurrent reconciles of each controller (Flux's benchmark: source 10, kustomize 20). */
  concurrent: { source: number; kustomize: number };
  qps: number;
  burst: number;
  registryHost: string;
  targetNamespace: string;
  /** Processes whose CPU each phase reports besides the measured ones (control plane, registry). */
  others: Record<string, number>;
  log: (l: string) => void;
}
