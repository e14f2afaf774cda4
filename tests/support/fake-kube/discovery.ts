/** The legacy discovery documents kubectl reads before it makes a request. */

const VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function resource(name: string, kind: string, verbs: string[], shortNames?: string[]) {
  const singularName = name.includes('/') ? '' : kind.toLowerCase();
  return { name, singularName, namespaced: true, kind, verbs, ...(shortNames ? { shortNames } : {}) };
}

const READ = ['get', 'list', 'watch'];

const DOCUMENTS: Record<string, object> = {
  '/version': VERSION,
  '/api': {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
  },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      resource('configmaps', 'ConfigMap', READ, ['cm']),
      resource('pods', 'Pod', READ, ['po']),
      resource('pods/exec', 'PodExecOptions', ['create', 'get']),
    ],
  },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
};

/** The discovery document served at `path`, if any. */
export function discoveryDocument(path: string): object | undefined {
  return DOCUMENTS[path.replace(/\/$/, '') || '/'];
}
