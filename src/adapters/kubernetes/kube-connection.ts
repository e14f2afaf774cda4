import { existsSync, readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The client configuration: the given kubeconfig file, else the pod's service account when rdev
 * runs in a cluster, else the user's default kubeconfig.
 */
export function loadKubeConfig(kubeconfigPath: string | null): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else if (existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/**
 * Where project pods live: the configured namespace, else the pod's own namespace, else the
 * kubeconfig context's namespace, else `default`.
 */
export function resolveNamespace(configured: string | null, kc: KubeConfig): string {
  if (configured) return configured;
  try {
    const own = readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim();
    if (own) return own;
  } catch {
    // Not in a cluster: fall through to the kubeconfig.
  }
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}
