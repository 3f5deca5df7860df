import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-JSRDLFOE.js";import"./chunk-KYNXUN4C.js";import"./chunk-PATETNWK.js";import"./chunk-5V6A2K7X.js";import"./chunk-QVYXNAN3.js";import"./chunk-XTUIZPUZ.js";export{a as STORES,b as branchProblem,c as readAuditRecordInputs};
