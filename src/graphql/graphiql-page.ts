import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * What GraphiQL's editor holds on a first visit (before anything is stored in the browser): the
 * three steps of a first session, each an operation the ▶ button offers by name.
 */
export const GRAPHIQL_WELCOME = `# Welcome to rdev.
#
# 1. Open "Headers" (below) and give your API key:
#      { "Authorization": "Bearer rdev_..." }
# 2. Press ▶ and pick an operation:
#      Projects   lists the projects your key may see;
#      RunShell   runs a command in the demo project and answers its id;
#      Output     follows what the command prints: put that id in first.
# The Docs pane (the book icon, top left) describes every field.

query Projects {
  projects(first: 20) {
    edges { node { name allowedCommandTypes } }
  }
}

mutation RunShell {
  runShell(input: { projectName: "demo", argv: ["ls", "-la"] }) {
    ... on RunCommandPayload { command { id status } }
    ... on Error { code message }
  }
}

subscription Output {
  commandOutput(commandId: "the id RunShell answered") {
    seq
    data
    end { status exitCode }
  }
}
`;

/** GraphiQL as rdev serves it: its title, the welcome above, subscriptions over graphql-ws. */
export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'rdev GraphiQL',
  subscriptionsProtocol: 'WS',
  defaultQuery: GRAPHIQL_WELCOME,
};

/**
 * The GraphiQL page. Its bundle is a 9 MB module, held in memory once loaded: it is loaded only
 * when the page is first asked for (production serves no GraphiQL at all).
 */
export async function renderGraphiQLPage(options: GraphiQLOptions = GRAPHIQL_OPTIONS): Promise<string> {
  return (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options);
}
