import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-BA2XHAYU.js";import"./chunk-JBXCZOJL.js";import"./chunk-PATETNWK.js";import"./chunk-5V6A2K7X.js";import"./chunk-QVYXNAN3.js";import"./chunk-XTUIZPUZ.js";export{a as FINDINGS_OUTPUT_LIMIT,b as ScanError,c as runTrivyGate};
