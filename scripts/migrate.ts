/** `npm run migrate`: the API's migration entry point, run from source. */
import '../apps/api/src/migrate.main';
