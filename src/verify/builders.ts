/**
 * Picks the image builder for `dockrepro verify`. Apart from src/verify/builder.ts (the interface the
 * builders implement), so that a builder module imports the interface and this module imports the builders,
 * never the other way round.
 */
import { BuilderMissing, onPath, type Builder, type BuilderName } from './builder';

/** The builder by name (default: the first one installed). Loaded lazily: only verify needs them. */
export function findBuilder(name: BuilderName | undefined, env: NodeJS.ProcessEnv): Builder {
  const { Buildah } = require('./buildah') as typeof import('./buildah');
  const program = onPath('buildah', env);
  if (!program) {
    throw new BuilderMissing(
      `${name ? `--builder ${name}` : 'verify'} needs buildah on the PATH (Debian/Ubuntu: apt-get install buildah; Fedora: dnf install buildah). ` +
        'A docker/BuildKit builder is not supported yet.',
    );
  }
  return new Buildah(program);
}
