import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readProjectSettingsYaml } from '../../src/adapters/yaml/project-settings.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { projectNameProblem } from '../../src/domain/project.js';
import { REPO_ROOT } from '../support/rdev-process.js';

/**
 * The Kubernetes manifests, read as data: every file parses, and the properties operators rely on
 * (probes, drain time, least privilege, network reach, settings the server accepts) hold. Where
 * kubectl is installed, each overlay is also rendered by its kustomize and checked as applied.
 */

/** Kubernetes objects are free-form YAML here. */
type K8sObject = Record<string, any>;

const MANIFESTS = join(REPO_ROOT, 'manifests');
const PREFIX = CONFIG_VARIABLES.RDEV_LABEL_PREFIX.default;
/** src/main.ts exits on its own this long after the grace period if something will not close. */
const SHUTDOWN_CEILING_MS = 10_000;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function parseYamlText(text: string, where: string): K8sObject[] {
  return parseAllDocuments(text).map((doc) => {
    if ('errors' in doc && doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]!.message}`);
    return doc.toJS() as K8sObject;
  });
}

function objectsIn(dir: string): K8sObject[] {
  return yamlFiles(dir)
    .filter((f) => !f.endsWith('kustomization.yaml'))
    .flatMap((f) => parseYamlText(readFileSync(f, 'utf8'), relative(REPO_ROOT, f)))
    .filter(Boolean);
}

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  expect(found, `exactly one ${kind}${name ? ` ${name}` : ''}`).toHaveLength(1);
  return found[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

const base = objectsIn(join(MANIFESTS, 'base'));
const examples = objectsIn(join(MANIFESTS, 'examples'));
const deployment = one(base, 'Deployment', 'rdev');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers.find((c: K8sObject) => c.name === 'rdev');

/** The Deployment's environment as the server would see it, secrets filled with sample values. */
function containerEnv(c: K8sObject): Record<string, string> {
  const samples: Record<string, string> = {
    DATABASE_URL: 'postgres://rdev@postgres.rdev.svc:5432/rdev',
    RDEV_BOOTSTRAP_ADMIN_KEY: generateKeyText(),
    RDEV_WEBHOOK_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    RDEV_WEBHOOK_SECRET_KEY_PREVIOUS: Buffer.alloc(32, 2).toString('base64'),
  };
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef) {
      const sample = samples[e.name];
      if (!sample) throw new Error(`no sample value for secret-backed ${e.name}`);
      env[e.name] = sample;
    } else throw new Error(`${e.name}: only values and Secret references are expected`);
  }
  return env;
}

function checkDeployment(d: K8sObject) {
  const spec = d.spec.template.spec;
  const c = spec.containers.find((x: K8sObject) => x.name === 'rdev');
  const env = containerEnv(c);
  for (const name of Object.keys(env)) {
    expect(Object.keys(CONFIG_VARIABLES), `${name} is a setting rdev reads`).toContain(name);
  }
  const config = loadConfig(env, '/app');
  expect(config.runtime).toBe('kubernetes');
  expect(c.ports.find((p: K8sObject) => p.name === 'http').containerPort).toBe(config.port);
  expect(config.host).toBe('0.0.0.0');

  // The drain fits in the termination grace period, preStop sleep included.
  const preStop = c.lifecycle?.preStop?.exec?.command ?? [];
  const preStopMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
  expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
    preStopMs + config.shutdownGraceMs + SHUTDOWN_CEILING_MS,
  );

  // Pod Security Standard "restricted", with a read-only root file system.
  expect(spec.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
  expect(c.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(c.securityContext.privileged ?? false).toBe(false);
  expect(spec.hostNetwork ?? false).toBe(false);
  // Writable places are scratch volumes, nothing from the host.
  for (const mount of c.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v: K8sObject) => v.name === mount.name);
    expect(volume?.emptyDir, `volume ${mount.name} is an emptyDir`).toBeDefined();
  }

  for (const resource of ['cpu', 'memory']) {
    expect(c.resources.requests[resource], `requests.${resource}`).toBeDefined();
    expect(c.resources.limits[resource], `limits.${resource}`).toBeDefined();
  }
  expect(c.livenessProbe.httpGet).toMatchObject({ path: '/health', port: 'http' });
  expect(c.readinessProbe.httpGet).toMatchObject({ path: '/ready', port: 'http' });
  expect(c.startupProbe.httpGet.port).toBe('http');
  expect(spec.serviceAccountName).toBe('rdev');
  return { env, config };
}

describe('manifests, as files', () => {
  it('every YAML file parses, and every object has an apiVersion, a kind and a name', () => {
    const files = yamlFiles(MANIFESTS);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      for (const o of parseYamlText(readFileSync(file, 'utf8'), relative(REPO_ROOT, file))) {
        expect(o.apiVersion, file).toBeTruthy();
        expect(o.kind, file).toBeTruthy();
        if (o.kind !== 'Kustomization') expect(o.metadata?.name, file).toBeTruthy();
      }
    }
  });

  it('each kustomization lists exactly the files beside it', () => {
    for (const dir of ['base', 'examples']) {
      const kustomization = parseYamlText(
        readFileSync(join(MANIFESTS, dir, 'kustomization.yaml'), 'utf8'),
        dir,
      )[0]!;
      const beside = readdirSync(join(MANIFESTS, dir)).filter(
        (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
      );
      expect([...kustomization.resources].sort()).toEqual(beside.sort());
    }
    for (const overlay of ['dev', 'prod']) {
      const k = parseYamlText(
        readFileSync(join(MANIFESTS, 'overlays', overlay, 'kustomization.yaml'), 'utf8'),
        overlay,
      )[0]!;
      expect(k.resources).toEqual(['../../base']);
      for (const patch of k.patches ?? [])
        expect(existsSync(join(MANIFESTS, 'overlays', overlay, patch.path))).toBe(true);
    }
  });

  it('the Deployment probes, limits, drains in time and runs restricted with settings rdev accepts', () => {
    const { env } = checkDeployment(deployment);
    // PostgreSQL from a Secret, required: a missing Secret must stop the pod, not fall back.
    const url = container.env.find((e: K8sObject) => e.name === 'DATABASE_URL');
    expect(url.valueFrom.secretKeyRef).toMatchObject({ name: expect.any(String), key: expect.any(String) });
    expect(url.valueFrom.secretKeyRef.optional ?? false).toBe(false);
    expect(env.RDEV_SHUTDOWN_GRACE_MS ?? CONFIG_VARIABLES.RDEV_SHUTDOWN_GRACE_MS.default).toBe('25000');
    expect(podSpec.volumes ?? []).toEqual([]);
    expect(podSpec.enableServiceLinks).toBe(false);
  });

  it('the Role grants exactly the verbs of the security brief, namespaced, to rdev alone', () => {
    const all = [...base, ...examples, ...objectsIn(join(MANIFESTS, 'overlays'))];
    expect(all.filter((o) => /^Cluster/.test(o.kind))).toEqual([]);
    const role = one(base, 'Role', 'rdev');
    const granted = role.rules.flatMap((r: K8sObject) =>
      r.resources.flatMap((res: string) =>
        r.verbs.map((v: string) => `${r.apiGroups.join(',')}/${res}:${v}`),
      ),
    );
    expect(granted.sort()).toEqual(
      [
        '/pods:get',
        '/pods:list',
        '/pods:watch',
        '/pods/exec:create',
        '/pods/exec:get',
        '/configmaps:get',
        '/configmaps:list',
        '/configmaps:watch',
      ].sort(),
    );
    expect(role.rules.some((r: K8sObject) => r.resourceNames)).toBe(false);
    const binding = one(base, 'RoleBinding', 'rdev');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rdev' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rdev' }]);
    one(base, 'ServiceAccount', 'rdev');
  });

  it('the Service, PodDisruptionBudget and NetworkPolicy select the rdev pods', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(matches(deployment.spec.selector.matchLabels, labels)).toBe(true);
    const service = one(base, 'Service', 'rdev');
    expect(matches(service.spec.selector, labels)).toBe(true);
    expect(service.spec.ports[0].targetPort).toBe('http');
    const pdb = one(base, 'PodDisruptionBudget', 'rdev');
    expect(matches(pdb.spec.selector.matchLabels, labels)).toBe(true);
    expect(pdb.spec.maxUnavailable ?? pdb.spec.minAvailable).toBeDefined();
    const policy = one(base, 'NetworkPolicy', 'rdev');
    expect(matches(policy.spec.podSelector.matchLabels, labels)).toBe(true);
  });

  it('the NetworkPolicy admits the ingress controller and reaches DNS, PostgreSQL, the API server and workspaces', () => {
    const policy = one(base, 'NetworkPolicy', 'rdev');
    expect(policy.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    const fromNamespaces = policy.spec.ingress.flatMap((r: K8sObject) =>
      r.from.map((f: K8sObject) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']),
    );
    expect(fromNamespaces).toContain('ingress-nginx');
    // Nothing from everywhere: every ingress rule names where traffic may come from.
    for (const rule of policy.spec.ingress) expect(rule.from?.length).toBeGreaterThan(0);

    const egress: K8sObject[] = policy.spec.egress;
    const ports = (r: K8sObject) => (r.ports ?? []).map((p: K8sObject) => `${p.protocol ?? 'TCP'}/${p.port}`);
    const dns = egress.find((r) => ports(r).includes('UDP/53'));
    expect(ports(dns!)).toContain('TCP/53');
    expect(dns!.to[0].podSelector.matchLabels).toEqual({ 'k8s-app': 'kube-dns' });
    expect(egress.some((r) => ports(r).includes('TCP/5432'))).toBe(true);
    expect(egress.some((r) => ports(r).includes('TCP/443') && ports(r).includes('TCP/6443'))).toBe(true);
    const workspaces = egress.find((r) =>
      r.to?.some((t: K8sObject) => t.podSelector?.matchLabels?.[`${PREFIX}/project`]),
    );
    expect(workspaces!.to[0].podSelector.matchLabels).toEqual({ [`${PREFIX}/project`]: 'true' });
  });

  it('the rdev-projects ConfigMap holds valid project settings that the example workspace matches', () => {
    const configMap = one(base, 'ConfigMap', CONFIG_VARIABLES.RDEV_PROJECTS_CONFIGMAP.default);
    const entries = Object.entries(configMap.data as Record<string, string>);
    expect(entries.length).toBeGreaterThan(0);
    for (const [name, text] of entries) {
      expect(projectNameProblem(name), name).toBeNull();
      const read = readProjectSettingsYaml(text);
      expect(read.problems, name).toEqual([]);
      expect(Object.keys(read.settings).sort()).toEqual([
        'allowedCommands',
        'description',
        'maxConcurrentCommands',
        'podSelector',
        'workspace',
      ]);
    }
    const example = readProjectSettingsYaml(configMap.data.example).settings;
    const statefulSet = one(examples, 'StatefulSet');
    const template = statefulSet.spec.template;
    expect(matches(example.podSelector!, template.metadata.labels)).toBe(true);
    expect(template.metadata.labels[`${PREFIX}/name`]).toBe('example');
    expect(template.metadata.annotations[`${PREFIX}/workspace`]).toBe(example.workspace);
  });

  it('the example workspace is labelled for discovery, reaps orphans and keeps the workspace and ~/.claude', () => {
    const statefulSet = one(examples, 'StatefulSet');
    const template = statefulSet.spec.template;
    expect(template.metadata.labels[`${PREFIX}/project`]).toBe('true');
    expect(projectNameProblem(template.metadata.labels[`${PREFIX}/name`])).toBeNull();
    const workspace = template.metadata.annotations[`${PREFIX}/workspace`];
    expect(workspace).toMatch(/^\/[^\0]*$/);
    const c = template.spec.containers.find(
      (x: K8sObject) => x.name === template.metadata.annotations[`${PREFIX}/container`],
    );
    expect(c, 'the annotated container exists').toBeDefined();
    const reaps =
      template.spec.shareProcessNamespace === true || /tini/.test([...(c.command ?? [])].join(' '));
    expect(reaps, 'an init reaps orphaned supervisor processes').toBe(true);
    const home = c.env.find((e: K8sObject) => e.name === 'HOME').value;
    const claims = statefulSet.spec.volumeClaimTemplates.map((t: K8sObject) => t.metadata.name);
    const mountedAt = (path: string) => c.volumeMounts.find((m: K8sObject) => m.mountPath === path)?.name;
    expect(claims).toContain(mountedAt(workspace));
    expect(claims).toContain(mountedAt(`${home}/.claude`));
    const service = one(examples, 'Service', statefulSet.spec.serviceName);
    expect(service.spec.clusterIP).toBe('None');
  });

  it('the dev overlay runs one replica and the prod overlay several, spread across nodes', () => {
    const read = (overlay: string, file: string) =>
      parseYamlText(
        readFileSync(join(MANIFESTS, 'overlays', overlay, file), 'utf8'),
        `${overlay}/${file}`,
      )[0]!;
    expect(read('dev', 'kustomization.yaml').replicas).toEqual([{ name: 'rdev', count: 1 }]);
    const prod = read('prod', 'kustomization.yaml');
    expect(prod.replicas[0].count).toBeGreaterThanOrEqual(2);
    const affinity = read('prod', 'deployment-patch.yaml').spec.template.spec.affinity;
    expect(
      affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey,
    ).toBe('kubernetes.io/hostname');
  });
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('manifests, rendered by kubectl kustomize', () => {
  const render = (dir: string) =>
    parseYamlText(
      execFileSync('kubectl', ['kustomize', join(MANIFESTS, dir)], { encoding: 'utf8', timeout: 60_000 }),
      dir,
    );

  it.skipIf(!kubectl)(
    'renders overlays/dev: one replica on the embedded database in a scratch volume (needs kubectl)',
    () => {
      const objects = render('overlays/dev');
      for (const o of objects) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('rdev-dev');
      const d = one(objects, 'Deployment', 'rdev');
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.strategy).toEqual({ type: 'Recreate' });
      const { config } = checkDeployment(d);
      expect(config.database.kind).toBe('pglite');
      const mount = d.spec.template.spec.containers[0].volumeMounts.find((m: K8sObject) =>
        config.dataDir.startsWith(m.mountPath),
      );
      expect(mount, 'the data folder is on a volume').toBeDefined();
      one(objects, 'Role', 'rdev');
      one(objects, 'NetworkPolicy', 'rdev');
    },
  );

  it.skipIf(!kubectl)(
    'renders overlays/prod: several replicas on PostgreSQL, spread apart (needs kubectl)',
    () => {
      const objects = render('overlays/prod');
      for (const o of objects) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('rdev');
      const d = one(objects, 'Deployment', 'rdev');
      expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
      const { config } = checkDeployment(d);
      expect(config.database.kind).toBe('postgres');
      expect(d.spec.template.spec.affinity.podAntiAffinity).toBeDefined();
      expect(d.spec.template.spec.containers[0].volumeMounts ?? []).toEqual([]);
      one(objects, 'PodDisruptionBudget', 'rdev');
      one(objects, 'ConfigMap', 'rdev-projects');
    },
  );

  it.skipIf(!kubectl)('renders the example workspace (needs kubectl)', () => {
    const objects = render('examples');
    expect(objects.map((o) => o.kind).sort()).toEqual(['Service', 'StatefulSet']);
  });
});
