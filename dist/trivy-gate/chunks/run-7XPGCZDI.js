import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-OSAGUPHA.js";import"./chunk-NXEKMGMM.js";import"./chunk-JBXCZOJL.js";import"./chunk-ORKPRCK3.js";export{a as FINDINGS_OUTPUT_LIMIT,b as ScanError,c as runTrivyGate};
