// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {LedgerRelay} from "../../../contracts/LedgerRelay.sol";
import {LedgerHeader} from "../../../contracts/libraries/LedgerHeader.sol";

/// @notice Relayers and forkers mine headers on any known block (the honest tip, an old main
/// block, a side branch) and submit them in batches of one transaction each (30M gas, a
/// block's worth). Ghosts: every header the relay accepted, with its height, time and chain
/// work, the first-seen most-work block, and the main chain by height.
/// @dev Consensus of the campaign: bits 0x2003ffff (about 1 in 64 hashes meets the target, so
/// headers are mined here in Solidity), no retarget within a campaign (a period of 10**9
/// blocks: retargeting is the differential test's, tests/contracts/relay), no time-warp rule.
contract RelayHandler is CommonBase, StdUtils {
    uint32 public constant BITS = 0x2003ffff;
    uint256 public constant POW_LIMIT = uint256(0x03ffff) << 232;
    uint256 internal constant BLOCK_GAS = 30_000_000;

    struct Node {
        bytes32 hash;
        uint256 parent; // index in `nodes`
        uint32 height;
        uint32 time;
        uint256 work;
    }

    LedgerRelay public immutable relay;
    uint256 public immutable maxHeaders; // per run: bounds its time (a deep return needs ~900)
    Node[] public nodes;
    mapping(uint256 height => uint256 index) public mainAt; // the ghost main chain
    uint256 public best; // index of the first-seen most-work accepted block
    uint256 public bestAttemptedWork; // the most work of any valid branch submitted, accepted or not
    uint256 public stateChangingCalls;
    uint256 public unexpectedRejections; // a valid batch refused although it fits a block
    uint256 public returnsThatDidNotFit; // issue 21: a heavier branch the relay could not switch to
    uint256 public medianTimeViolations; // issue 21: accepted below its ancestors' median time
    uint256 public refusedBelowMedianTime; // batches the relay refused for the median-time rule
    uint256 internal _salt;
    mapping(uint256 index => bytes) internal _bytes; // each accepted header, for resubmission

    constructor(LedgerRelay relay_, bytes memory checkpoint, uint32 time, uint256 work, uint256 maxHeaders_) {
        (relay, maxHeaders) = (relay_, maxHeaders_);
        nodes.push(Node(LedgerHeader.hash256Memory(checkpoint), 0, 0, time, work));
        bestAttemptedWork = work;
    }

    /// @notice Mine and submit 1 to 24 headers on a known block (a tip half of the time).
    /// @param skew a header's time after its parent's: usually 1 to 120 s, sometimes earlier
    function extend(uint256 pick, uint256 count, uint256 skew) external {
        uint256 parent = pick % 2 == 0 ? _tipOfBranch(pick) : (pick >> 1) % nodes.length;
        _mineAndSubmit(parent, _bound(count, 1, 24), skew);
    }

    /// @notice The honest relayer catches up: up to 400 headers on the tip, in batches of 100.
    function extendTip(uint256 count, uint256 skew) external {
        for (uint256 left = _bound(count, 1, 400); left != 0;) {
            uint256 n = left < 100 ? left : 100;
            uint256 before = nodes.length;
            _mineAndSubmit(best, n, uint256(keccak256(abi.encode(skew, left))));
            if (nodes.length == before) return;
            left -= n;
        }
    }

    /// @notice Fork from a main block at a fuzzed depth and outgrow the tip, batch after batch:
    /// the return of the relay to the most-work chain must fit a block (issue 21 says it may not).
    function outgrow(uint256 depth, uint256 skew) external {
        Node storage tip = nodes[best];
        uint256 forkHeight = tip.height - _bound(depth, 0, tip.height);
        uint256 parent = mainAt[forkHeight];
        while (nodes[parent].work <= nodes[best].work && nodes.length < maxHeaders) {
            uint256 before = nodes.length;
            _mineAndSubmit(parent, 100, skew);
            if (nodes.length == before) return; // refused: counted by _mineAndSubmit
            parent = nodes.length - 1;
        }
    }

    /// @notice Resubmit a stored header: nothing changes.
    function resubmit(uint256 pick) external {
        if (nodes.length < 2) return;
        uint256 i = 1 + pick % (nodes.length - 1);
        _finishReorganization();
        bytes32 tipBefore = _tipHash();
        relay.submitHeaders(_bytes[i]);
        if (_tipHash() != tipBefore) ++unexpectedRejections;
    }

    function _mineAndSubmit(uint256 parent, uint256 count, uint256 skew) private {
        if (nodes.length + count > maxHeaders) return;
        // One buffer for the batch, headers mined in place: memory grows linearly with the count.
        // 32 bytes of slack: the last header's word store at offset 68 runs past its 80 bytes.
        bytes memory batch = new bytes(80 * count + 32);
        Node[] memory mined = new Node[](count);
        Node memory p = nodes[parent];
        uint256 tipWork = nodes[best].work;
        bool mtpBroken;
        for (uint256 i; i < count; ++i) {
            uint256 s = uint256(keccak256(abi.encode(skew, i)));
            // One header in sixteen is stamped up to 10 minutes before its parent.
            uint32 time = s % 16 == 0 ? p.time - uint32(_bound(s >> 8, 0, 600)) : p.time + uint32(_bound(s >> 8, 1, 120));
            bytes32 hash = _mine(batch, i, p.hash, time);
            mined[i] = Node(hash, i == 0 ? parent : nodes.length + i - 1, p.height + 1, time, p.work + _blockWork());
            if (!mtpBroken && time <= _medianTimePast(mined, i)) mtpBroken = true;
            p = mined[i];
        }
        assembly ("memory-safe") {
            mstore(batch, mul(80, count)) // drop the slack from the length
        }
        if (p.work > bestAttemptedWork && !mtpBroken) bestAttemptedWork = p.work;
        _finishReorganization();
        try relay.submitHeaders{gas: BLOCK_GAS}(batch) {
            for (uint256 i; i < count; ++i) {
                _bytes[nodes.length] = _slice(batch, i);
                nodes.push(mined[i]);
            }
            if (mtpBroken) ++medianTimeViolations;
            if (p.work > tipWork) _newTip(nodes.length - 1);
            ++stateChangingCalls;
            _finishReorganization(); // the invariants read a settled main-chain index
        } catch {
            if (mtpBroken) ++refusedBelowMedianTime; // the ledger's rule: refused, as it must be
            else if (p.work > tipWork) ++returnsThatDidNotFit;
            else ++unexpectedRejections;
        }
    }

    /// @dev A reorganisation deeper than the relay's step per transaction is resumed by
    /// anyone, a block's gas at a time (bounded: at most maxHeaders heights to rewrite).
    function _finishReorganization() private {
        for (uint256 k; k <= maxHeaders; ++k) {
            (bool pending,) = relay.reorganizing();
            if (!pending) return;
            relay.resumeReorganization{gas: BLOCK_GAS}();
        }
    }

    /// @dev Median of the times of the (up to) 11 blocks before mined[i]: the new ones first,
    /// then the stored ancestors.
    function _medianTimePast(Node[] memory mined, uint256 i) private view returns (uint32) {
        uint32[11] memory times;
        uint256 n;
        for (uint256 k = i; k > 0 && n < 11; --k) {
            times[n++] = mined[k - 1].time;
        }
        uint256 index = mined[0].parent;
        while (n < 11) {
            times[n++] = nodes[index].time;
            if (index == 0) break;
            index = nodes[index].parent;
        }
        for (uint256 a = 1; a < n; ++a) {
            for (uint256 b = a; b > 0 && times[b - 1] > times[b]; --b) {
                (times[b - 1], times[b]) = (times[b], times[b - 1]);
            }
        }
        return times[n / 2];
    }

    function _newTip(uint256 tip) private {
        best = tip;
        // Rewrite the ghost main chain down to the fork with the old one.
        uint256 i = tip;
        while (i != 0 && mainAt[nodes[i].height] != i) {
            mainAt[nodes[i].height] = i;
            i = nodes[i].parent;
        }
    }

    function _tipOfBranch(uint256 pick) private view returns (uint256) {
        // The newest block half of the time (the tip of the last branch extended), else the best.
        return (pick >> 1) % 2 == 0 ? nodes.length - 1 : best;
    }

    /// @dev Writes header `i` of `batch` on `prev` at `time` with the first nonce (from 0; 16
    /// tries on average) whose double SHA-256 meets the target; returns its hash. No allocation.
    function _mine(bytes memory batch, uint256 i, bytes32 prev, uint32 time) private returns (bytes32 hash) {
        bytes32 root = bytes32(++_salt);
        bytes4 version = _le32(1);
        bytes4 t = _le32(time);
        bytes4 b = _le32(BITS);
        uint256 limit = POW_LIMIT;
        for (uint32 nonce;; ++nonce) {
            bytes4 n = _le32(nonce);
            assembly ("memory-safe") {
                let h := add(add(batch, 32), mul(i, 80))
                mstore(h, version) // 4 bytes, then the next fields overwrite the rest of the word
                mstore(add(h, 4), prev)
                mstore(add(h, 36), root)
                // time, bits, nonce: 12 bytes at 68; a word store, the tail restored by the next header
                mstore(add(h, 68), or(or(t, shr(32, b)), shr(64, n)))
                if iszero(staticcall(gas(), 2, h, 80, 0x00, 32)) { revert(0, 0) }
                if iszero(staticcall(gas(), 2, 0x00, 32, 0x00, 32)) { revert(0, 0) }
                hash := mload(0x00)
            }
            if (LedgerHeader.hashValue(hash) <= limit) return hash;
        }
    }

    function _slice(bytes memory batch, uint256 i) private pure returns (bytes memory header) {
        header = new bytes(80);
        for (uint256 k; k < 80; ++k) {
            header[k] = batch[i * 80 + k];
        }
    }

    function _le32(uint32 v) internal pure returns (bytes4) {
        return bytes4(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24));
    }

    function _blockWork() private pure returns (uint256) {
        return LedgerHeader.work(POW_LIMIT);
    }

    function _tipHash() private view returns (bytes32 h) {
        (h,,) = relay.bestTip();
    }

    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }
}
