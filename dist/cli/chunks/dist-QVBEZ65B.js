import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a}from"./chunk-NJYW4EQF.js";import"./chunk-XTUIZPUZ.js";export default a();
