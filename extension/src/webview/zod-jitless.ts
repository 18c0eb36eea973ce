import * as z from 'zod';

/**
 * Imported first by every webview entry point. zod probes for eval (`new Function`) the first time
 * it parses an object, to compile fast parsers; under the webviews' CSP (no 'unsafe-eval') that
 * probe is a reported violation. Jitless parsing never probes, and the messages are small.
 */
z.config({ jitless: true });
