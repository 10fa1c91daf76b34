#!/usr/bin/env node
// `npm pack` / `npm publish` in client-sdk/ would ship the development manifest (workspace
// dependencies, the repo-only export condition, tests). The published package is built
// elsewhere; say where instead of producing a tarball that cannot be installed.
process.stderr.write(
  'client-sdk: this folder is the development package and is not packed as it is.\n' +
    '  Build and pack the publishable package with:  npm run package -w client-sdk\n' +
    '  (writes client-sdk/build/package/ and client-sdk/build/stargate-client-sdk-<version>.tgz;\n' +
    '   publish with:  npm publish client-sdk/build/package)\n',
);
process.exit(1);
