import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a}from"./chunk-NKM2ISYX.js";import"./chunk-ORKPRCK3.js";export default a();
