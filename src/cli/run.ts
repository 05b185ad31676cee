// The process entry: bin/podling.js runs the compiled form of this file.
import { main } from './main.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
